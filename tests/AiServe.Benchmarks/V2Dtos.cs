using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiServe.Benchmarks;

// The generic way to read a V2 infer request: plain DTOs bound by System.Text.Json (source-generated, the fastest
// generic path). The yardstick for V2RequestReader in the micro-benchmarks and the body the HTTP ceiling reads.

internal sealed class V2RequestDto
{
    public string? Id { get; set; }

    public Dictionary<string, JsonElement>? Parameters { get; set; }

    public List<V2InputDto> Inputs { get; set; } = [];

    public List<V2OutputDto>? Outputs { get; set; }
}

internal sealed class V2InputDto
{
    public string Name { get; set; } = "";

    public string Datatype { get; set; } = "";

    public long[] Shape { get; set; } = [];

    public Dictionary<string, JsonElement>? Parameters { get; set; }

    public float[]? Data { get; set; }
}

internal sealed class V2OutputDto
{
    public string Name { get; set; } = "";

    public Dictionary<string, JsonElement>? Parameters { get; set; }
}

internal sealed record V2ResponseDto(string ModelName, string ModelVersion, IReadOnlyList<V2OutputTensorDto> Outputs);

internal sealed record V2OutputTensorDto(string Name, string Datatype, long[] Shape, float[] Data);

internal sealed record V2TensorMetadataDto(string Name, string Datatype, long[] Shape);

internal sealed record V2ModelMetadataDto(string Name, IReadOnlyList<string> Versions, string Platform, IReadOnlyList<V2TensorMetadataDto> Inputs, IReadOnlyList<V2TensorMetadataDto> Outputs);

internal sealed record V2ServerMetadataDto(string Name, string Version, IReadOnlyList<string> Extensions);

internal sealed record V2ReadyDto(bool Ready);

internal sealed record V2ModelReadyDto(string Name, bool Ready);

internal sealed record V2ErrorDto(string Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(V2RequestDto))]
[JsonSerializable(typeof(V2ResponseDto))]
[JsonSerializable(typeof(V2ModelMetadataDto))]
[JsonSerializable(typeof(V2ServerMetadataDto))]
[JsonSerializable(typeof(V2ReadyDto))]
[JsonSerializable(typeof(V2ModelReadyDto))]
[JsonSerializable(typeof(V2ErrorDto))]
internal sealed partial class V2DtoJsonContext : JsonSerializerContext;
