namespace AiServe.Server.Telemetry;

/// <summary>
/// What a protocol adapter tells the request log about a request (model and version), kept on the HttpContext so
/// that adapters need not know the logging library.
/// </summary>
internal static class RequestLogContext
{
    private const string ModelKey = "aiserve.model";
    private const string VersionKey = "aiserve.version";

    public static void SetModel(HttpContext http, string model, string? version)
    {
        http.Items[ModelKey] = model;
        if (version is not null)
        {
            http.Items[VersionKey] = version;
        }
    }

    public static string? Model(HttpContext http) => http.Items.TryGetValue(ModelKey, out var v) ? v as string : null;

    public static string? Version(HttpContext http) => http.Items.TryGetValue(VersionKey, out var v) ? v as string : null;
}
