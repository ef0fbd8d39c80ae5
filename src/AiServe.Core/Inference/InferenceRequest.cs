namespace AiServe.Core.Inference;

/// <summary>A protocol-neutral inference request: the inputs, which outputs are wanted, and request parameters.</summary>
public sealed class InferenceRequest
{
    /// <summary>Creates a request.</summary>
    public InferenceRequest(IReadOnlyList<Tensor> inputs, IReadOnlyList<string>? requestedOutputs = null, string? id = null)
    {
        Inputs = inputs;
        RequestedOutputs = requestedOutputs;
        Id = id;
    }

    /// <summary>The client's request id, echoed in the response.</summary>
    public string? Id { get; }

    /// <summary>The input tensors.</summary>
    public IReadOnlyList<Tensor> Inputs { get; }

    /// <summary>Names of the wanted outputs; null means all outputs.</summary>
    public IReadOnlyList<string>? RequestedOutputs { get; }
}
