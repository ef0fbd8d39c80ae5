using System.Text.Json.Serialization;

namespace AiServe.Client;

/// <summary>A model input's or output's metadata; -1 in <see cref="Shape"/> marks a variable dimension.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Datatype">The V2 datatype.</param>
/// <param name="Shape">The dimensions; -1 is variable.</param>
public sealed record TensorMetadata(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("datatype")] string Datatype,
    [property: JsonPropertyName("shape")] IReadOnlyList<long> Shape);
