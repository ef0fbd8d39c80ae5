namespace AiServe.Client;

/// <summary>How an infer request is put on the wire.</summary>
public sealed record InferOptions
{
    /// <summary>All JSON: inputs as JSON <c>data</c>, outputs asked for as JSON.</summary>
    public static InferOptions Json { get; } = new();

    /// <summary>The binary tensor data extension both ways.</summary>
    public static InferOptions Binary { get; } = new() { BinaryInputs = true, BinaryOutputs = true };

    /// <summary>
    /// Send the inputs' elements as binary data after the JSON header (<c>parameters.binary_data_size</c>, header
    /// <c>Inference-Header-Content-Length</c>) instead of JSON <c>data</c>. FP16 and BF16 need this.
    /// </summary>
    public bool BinaryInputs { get; init; }

    /// <summary>
    /// Ask for the outputs as binary data: the request parameter <c>binary_data_output</c>, and
    /// <c>parameters.binary_data</c> on each requested output that does not say otherwise.
    /// </summary>
    public bool BinaryOutputs { get; init; }
}
