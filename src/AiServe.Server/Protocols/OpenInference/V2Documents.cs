using System.Text.Json.Serialization;

namespace AiServe.Server.Protocols.OpenInference;

// The JSON bodies of the Open Inference Protocol, field for field. Used to write responses and to describe the
// protocol in OpenAPI; the infer request itself is read by V2RequestReader without these types.

/// <summary>An error: <c>{"error": "..."}</c>.</summary>
public sealed record V2Error([property: JsonPropertyName("error")] string Error);

/// <summary>Server liveness.</summary>
public sealed record V2Live([property: JsonPropertyName("live")] bool Live);

/// <summary>Server readiness.</summary>
public sealed record V2Ready([property: JsonPropertyName("ready")] bool Ready);

/// <summary>Model readiness; <c>state</c> and <c>reason</c> are AiServe additions that say why a model is not ready.</summary>
public sealed record V2ModelReady(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("ready")] bool Ready,
    [property: JsonPropertyName("state"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? State = null,
    [property: JsonPropertyName("reason"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

/// <summary>Server metadata.</summary>
public sealed record V2ServerMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("extensions")] IReadOnlyList<string> Extensions);

/// <summary>A tensor's metadata.</summary>
public sealed record V2TensorMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape);

/// <summary>Model metadata.</summary>
public sealed record V2ModelMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("versions")] IReadOnlyList<string> Versions,
    [property: JsonPropertyName("platform")] string Platform,
    [property: JsonPropertyName("inputs")] IReadOnlyList<V2TensorMetadata> Inputs,
    [property: JsonPropertyName("outputs")] IReadOnlyList<V2TensorMetadata> Outputs);

/// <summary>An input tensor of an infer request (for documentation; <c>data</c> is flat or nested).</summary>
public sealed record V2RequestInput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("parameters")] IReadOnlyDictionary<string, object>? Parameters,
    [property: JsonPropertyName("data")] IReadOnlyList<object>? Data);

/// <summary>A requested output (for documentation).</summary>
public sealed record V2RequestOutput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("parameters")] IReadOnlyDictionary<string, object>? Parameters);

/// <summary>An infer request (for documentation).</summary>
public sealed record V2InferRequestDocument(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("parameters")] IReadOnlyDictionary<string, object>? Parameters,
    [property: JsonPropertyName("inputs")] IReadOnlyList<V2RequestInput> Inputs,
    [property: JsonPropertyName("outputs")] IReadOnlyList<V2RequestOutput>? Outputs);

/// <summary>An output tensor of an infer response (for documentation).</summary>
public sealed record V2ResponseOutput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("parameters")] IReadOnlyDictionary<string, object>? Parameters,
    [property: JsonPropertyName("data")] IReadOnlyList<object>? Data);

/// <summary>An infer response (for documentation).</summary>
public sealed record V2InferResponseDocument(
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("model_version")] string? ModelVersion,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("parameters")] IReadOnlyDictionary<string, object>? Parameters,
    [property: JsonPropertyName("outputs")] IReadOnlyList<V2ResponseOutput> Outputs);
