using System.Text.Json.Serialization;

namespace AiServe.Client;

/// <summary>
/// Source-generated JSON (de)serialisation of the small fixed documents; tensors are encoded by hand. A field the
/// records mark [JsonRequired] must be present and one they declare non-nullable must not be null: either is a
/// <see cref="System.Text.Json.JsonException"/> naming the field. Null elements of lists are the caller's to refuse.
/// </summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = false, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(ServerMetadata))]
[JsonSerializable(typeof(ModelMetadata))]
internal sealed partial class V2JsonContext : JsonSerializerContext;
