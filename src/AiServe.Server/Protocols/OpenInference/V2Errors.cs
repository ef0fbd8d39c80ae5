using AiServe.Core.Inference;

namespace AiServe.Server.Protocols.OpenInference;

/// <summary>The HTTP status of each <see cref="InferenceErrorCode"/> in the V2 protocol (Triton's mapping).</summary>
internal static class V2Errors
{
    public static int StatusCode(InferenceErrorCode code) => code switch
    {
        InferenceErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
        InferenceErrorCode.NotFound => StatusCodes.Status404NotFound,
        InferenceErrorCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        InferenceErrorCode.Unsupported => StatusCodes.Status501NotImplemented,
        InferenceErrorCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        InferenceErrorCode.Cancelled => StatusCodes.Status400BadRequest,
        InferenceErrorCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        InferenceErrorCode.AlreadyExists => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status500InternalServerError,
    };
}
