namespace AiServe.Server.Protocols;

/// <summary>A request body over the configured limit (answered with 413).</summary>
internal sealed class RequestTooLargeException(long size, long limit)
    : Exception($"the request body ({size} bytes or more) is larger than the limit of {limit} bytes (AiServe:Limits:MaxRequestBodyBytes)");
