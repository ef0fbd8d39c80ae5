using System.Text.Json.Serialization;

namespace AiServe.Client;

/// <summary>
/// A model's metadata (<c>GET /v2/models/{model}[/versions/{version}]</c>). The client refuses an answer without the
/// non-nullable fields (a <see cref="V2ClientException"/> naming the field), so they are never null.
/// </summary>
/// <param name="Name">The model's name.</param>
/// <param name="Versions">The versions the server has (may be absent).</param>
/// <param name="Platform">The framework/backend name, e.g. <c>onnxruntime_onnx</c>.</param>
/// <param name="Inputs">The inputs.</param>
/// <param name="Outputs">The outputs.</param>
public sealed record ModelMetadata(
    [property: JsonPropertyName("name"), JsonRequired] string Name,
    [property: JsonPropertyName("versions")] IReadOnlyList<string>? Versions,
    [property: JsonPropertyName("platform")] string? Platform,
    [property: JsonPropertyName("inputs"), JsonRequired] IReadOnlyList<TensorMetadata> Inputs,
    [property: JsonPropertyName("outputs"), JsonRequired] IReadOnlyList<TensorMetadata> Outputs);
