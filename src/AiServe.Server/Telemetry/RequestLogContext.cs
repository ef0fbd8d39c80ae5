namespace AiServe.Server.Telemetry;

/// <summary>
/// What a protocol adapter tells the request log about a request (model and version), kept on the HttpContext so
/// that adapters need not know the logging library. It lives in a request feature of its own rather than in
/// <c>HttpContext.Items</c>, whose dictionary would be made for every request only to hold these two strings.
/// </summary>
internal static class RequestLogContext
{
    public static void SetModel(HttpContext http, string model, string? version)
    {
        var feature = http.Features.Get<RequestLogFeature>();
        if (feature is null)
        {
            feature = new RequestLogFeature();
            http.Features.Set(feature);
        }

        feature.Model = model;
        if (version is not null)
        {
            feature.Version = version;
        }
    }

    public static string? Model(HttpContext http) => http.Features.Get<RequestLogFeature>()?.Model;

    public static string? Version(HttpContext http) => http.Features.Get<RequestLogFeature>()?.Version;

    private sealed class RequestLogFeature
    {
        public string? Model { get; set; }

        public string? Version { get; set; }
    }
}
