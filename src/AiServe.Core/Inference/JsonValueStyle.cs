namespace AiServe.Core.Inference;

/// <summary>How a protocol writes the tensor values JSON has no plain form for (<see cref="TensorJson.WriteElements"/>).</summary>
/// <param name="NonFiniteAsBareTokens">
/// NaN and the infinities as the bare tokens <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c> (TF Serving); otherwise
/// as those strings (V2, Triton's clients).
/// </param>
/// <param name="BytesAsBase64Objects">
/// Bytes as <c>{"b64": "..."}</c> for a tensor whose name ends in <c>_bytes</c> and for any element that is not UTF-8
/// (TF Serving); otherwise an element that is not UTF-8 is refused (a JSON string cannot carry it).
/// </param>
public readonly record struct JsonValueStyle(bool NonFiniteAsBareTokens, bool BytesAsBase64Objects)
{
    /// <summary>V2 / Open Inference Protocol JSON.</summary>
    public static JsonValueStyle OpenInference => default;

    /// <summary>TF Serving's REST API.</summary>
    public static JsonValueStyle TfServing => new(NonFiniteAsBareTokens: true, BytesAsBase64Objects: true);
}
