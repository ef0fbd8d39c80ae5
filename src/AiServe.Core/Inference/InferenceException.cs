namespace AiServe.Core.Inference;

/// <summary>A failure with a code the protocol adapters map to a status. The message is safe to show a client.</summary>
public sealed class InferenceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InferenceException(InferenceErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Creates an <see cref="InferenceErrorCode.Internal"/> exception.</summary>
    public InferenceException()
        : this(InferenceErrorCode.Internal, "internal error")
    {
    }

    /// <summary>Creates an <see cref="InferenceErrorCode.Internal"/> exception.</summary>
    public InferenceException(string message)
        : this(InferenceErrorCode.Internal, message)
    {
    }

    /// <summary>Creates an <see cref="InferenceErrorCode.Internal"/> exception.</summary>
    public InferenceException(string message, Exception innerException)
        : this(InferenceErrorCode.Internal, message, innerException)
    {
    }

    /// <summary>What went wrong, in protocol-neutral terms.</summary>
    public InferenceErrorCode Code { get; }
}
