using System.Text.Json.Serialization;

namespace AiServe.Client;

/// <summary>The server's metadata (<c>GET /v2</c>); an answer without a name or version is refused (see <see cref="ModelMetadata"/>).</summary>
/// <param name="Name">The server's name.</param>
/// <param name="Version">The server's version.</param>
/// <param name="Extensions">The protocol extensions it implements, e.g. <c>binary_tensor_data</c>.</param>
public sealed record ServerMetadata(
    [property: JsonPropertyName("name"), JsonRequired] string Name,
    [property: JsonPropertyName("version"), JsonRequired] string Version,
    [property: JsonPropertyName("extensions")] IReadOnlyList<string>? Extensions);
