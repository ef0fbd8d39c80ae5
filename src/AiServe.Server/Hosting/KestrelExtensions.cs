namespace AiServe.Server.Hosting;

/// <summary>Kestrel defaults: port 8080 for REST (unless URLs are configured) and the body size limit.</summary>
internal static class KestrelExtensions
{
    public const int DefaultHttpPort = 8080;

    public static WebApplicationBuilder AddAiServeKestrel(this WebApplicationBuilder builder)
    {
        var configuredUrls = builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? builder.Configuration["http_ports"];
        if (string.IsNullOrEmpty(configuredUrls))
        {
            builder.WebHost.UseUrls($"http://0.0.0.0:{DefaultHttpPort}");
        }

        var limits = builder.Configuration.GetSection($"{AiServeOptions.SectionName}:Limits").Get<LimitsOptions>() ?? new LimitsOptions();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes);
        return builder;
    }
}
