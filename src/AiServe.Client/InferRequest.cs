namespace AiServe.Client;

/// <summary>An infer request: named input tensors, optionally the outputs wanted, an id and parameters.</summary>
public sealed class InferRequest
{
    /// <summary>Creates an empty request; add to <see cref="Inputs"/>.</summary>
    public InferRequest()
    {
    }

    /// <summary>Creates a request with these inputs.</summary>
    /// <param name="inputs">The input tensors.</param>
    public InferRequest(params IEnumerable<InferTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Inputs.AddRange(inputs);
    }

    /// <summary>The request id, echoed by the server in the response.</summary>
    public string? Id { get; set; }

    /// <summary>The input tensors, in wire order.</summary>
    public List<InferTensor> Inputs { get; } = [];

    /// <summary>The outputs to return; empty means all of them.</summary>
    public List<RequestedOutput> Outputs { get; } = [];

    /// <summary>
    /// Request parameters (values: string, bool, int, long or double), e.g. <c>priority</c> or <c>timeout</c>.
    /// <c>binary_data_output</c> is set from <see cref="InferOptions.BinaryOutputs"/>.
    /// </summary>
    public Dictionary<string, object> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>Reads a JSON V2 infer request (e.g. one kept in a file), decoding its inputs' <c>data</c>.</summary>
    /// <param name="json">The request's UTF-8 JSON.</param>
    /// <exception cref="FormatException">The JSON is not a V2 infer request with inputs.</exception>
    public static InferRequest FromJson(ReadOnlySpan<byte> json) => V2BodyDecoder.DecodeRequest(json);
}
