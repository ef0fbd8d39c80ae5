using System.Text.Json.Serialization;

namespace AiServe.Client;

/// <summary>
/// A model input's or output's metadata; -1 in <see cref="Shape"/> marks a variable dimension. Every field is required
/// of the server (see <see cref="ModelMetadata"/>).
/// </summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Datatype">The V2 datatype.</param>
/// <param name="Shape">The dimensions; -1 is variable.</param>
public sealed record TensorMetadata(
    [property: JsonPropertyName("name"), JsonRequired] string Name,
    [property: JsonPropertyName("datatype"), JsonRequired] string Datatype,
    [property: JsonPropertyName("shape"), JsonRequired] IReadOnlyList<long> Shape);
