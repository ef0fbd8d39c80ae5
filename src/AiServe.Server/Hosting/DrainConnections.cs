using AiServe.Core.Lifecycle;

namespace AiServe.Server.Hosting;

/// <summary>Answers during a shutdown close their connection, so that clients do not keep sending on it.</summary>
internal static class DrainConnections
{
    /// <summary>
    /// From the start of a drain every answer says <c>Connection: close</c>: a client's next request goes on a new
    /// connection (while the delay lasts, still to this server), never on a kept-alive one the web server closes under
    /// it when it stops, which would lose the request.
    /// </summary>
    public static IApplicationBuilder UseDrainConnectionClose(this IApplicationBuilder app)
    {
        var manager = app.ApplicationServices.GetRequiredService<ModelManager>();
        return app.Use((http, next) =>
        {
            // HTTP/1.x only: HTTP/2 has no such header (its connections end with GOAWAY, which Kestrel sends on stop).
            if (manager.IsDraining && (HttpProtocol.IsHttp11(http.Request.Protocol) || HttpProtocol.IsHttp10(http.Request.Protocol)))
            {
                http.Response.Headers.Connection = "close";
            }

            return next(http);
        });
    }
}
