using AiServe.Core.Inference;

namespace AiServe.Server.Protocols.TfServing;

/// <summary>TensorFlow Serving's HTTP status for each <see cref="InferenceErrorCode"/>.</summary>
internal static class TfServingErrors
{
    public static int StatusCode(InferenceErrorCode code) => code switch
    {
        InferenceErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
        InferenceErrorCode.NotFound => StatusCodes.Status404NotFound,
        InferenceErrorCode.AlreadyExists => StatusCodes.Status409Conflict,
        InferenceErrorCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        InferenceErrorCode.Cancelled => StatusCodes.Status499ClientClosedRequest,
        InferenceErrorCode.Unsupported => StatusCodes.Status501NotImplemented,
        InferenceErrorCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        InferenceErrorCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        _ => StatusCodes.Status500InternalServerError,
    };
}
