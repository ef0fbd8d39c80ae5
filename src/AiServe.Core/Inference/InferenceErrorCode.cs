namespace AiServe.Core.Inference;

/// <summary>Why an inference call failed. Each protocol adapter maps these to its own wire form.</summary>
public enum InferenceErrorCode
{
    /// <summary>The request is malformed or does not fit the model (client error).</summary>
    InvalidArgument,
    /// <summary>The model, version or label does not exist.</summary>
    NotFound,
    /// <summary>The model or version exists but cannot serve now (loading, failed, unloading).</summary>
    Unavailable,
    /// <summary>The request asks for something AiServe does not support.</summary>
    Unsupported,
    /// <summary>The request's deadline passed.</summary>
    DeadlineExceeded,
    /// <summary>The caller cancelled the request.</summary>
    Cancelled,
    /// <summary>The server is out of capacity (queue full).</summary>
    ResourceExhausted,
    /// <summary>The thing to create already exists.</summary>
    AlreadyExists,
    /// <summary>A failure inside AiServe or the backend; never the client's fault.</summary>
    Internal,
}
