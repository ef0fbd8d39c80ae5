using System.Text.Json.Serialization;

namespace AiServe.Client;

/// <summary>Source-generated JSON (de)serialisation of the small fixed documents; tensors are encoded by hand.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(ServerMetadata))]
[JsonSerializable(typeof(ModelMetadata))]
internal sealed partial class V2JsonContext : JsonSerializerContext;
