using System.Text.Json;
using AiServe.Client;
using AiServe.Core.Inference;
using AiServe.Server.Protocols.OpenInference;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;

namespace AiServe.Benchmarks;

/// <summary>
/// Decoding a V2 infer request (AiServe's reader, JSON and binary, against System.Text.Json into DTOs on the same
/// JSON body) and encoding the JSON response, for iris at batch 1 and fashion-mnist at batch 8 (6,272 floats).
/// </summary>
[MemoryDiagnoser]
public class V2CodecBenchmarks
{
    private EncodedInferRequest _json = null!;
    private EncodedInferRequest _binary = null!;
    private InferenceResponse _response = null!;
    private V2InferRequest _decoded = null!;
    private DefaultHttpContext _http = null!;
    private ReadOnlyMemory<byte> _dataArray;
    private long[] _shape = null!;

    [Params("iris-b1", "fashion-mnist-b8")]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (var model, var shape, _json, _binary) = Bodies.Encoded(Case);
        _decoded = V2RequestReader.Read(_json.Body, null);

        // The input's "data" array alone, from its '[' (the scanner's own cost, without the rest of the request).
        var body = _json.Body.Span;
        var data = body.IndexOf("\"data\":"u8);
        _dataArray = _json.Body[(data + body[data..].IndexOf((byte)'['))..];
        _shape = shape;

        // The response the model gives for this request (iris: label + 3 probabilities; fashion-mnist: 10 per row).
        var rows = shape[0];
        _response = model == "iris"
            ? new InferenceResponse(model, 1, null, [
                Tensor.FromValues<long>("label", TensorDataType.Int64, [rows], new long[rows]),
                Tensor.FromValues<float>("probabilities", TensorDataType.Fp32, [rows, 3], Bodies.RandomFloats(rows * 3))])
            : new InferenceResponse(model, 1, null, [
                Tensor.FromValues<float>("probabilities", TensorDataType.Fp32, [rows, 10], Bodies.RandomFloats(rows * 10))]);
        _http = new DefaultHttpContext();
        _http.Response.Body = Stream.Null;
    }

    [Benchmark(Baseline = true, Description = "decode JSON: V2RequestReader")]
    public object DecodeJson() => V2RequestReader.Read(_json.Body, null);

    [Benchmark(Description = "decode JSON: System.Text.Json DTOs")]
    public object? DecodeJsonDtos() => JsonSerializer.Deserialize(_json.Body.Span, V2DtoJsonContext.Default.V2RequestDto);

    [Benchmark(Description = "decode JSON: data array alone, JsonNumberArrayScanner")]
    public object? DecodeJsonDataArray() =>
        JsonNumberArrayScanner.TryDecode(_dataArray.Span, "input", TensorDataType.Fp32, _shape, out var tensor, out _) ? tensor : throw new InvalidOperationException("the scanner declined");

    [Benchmark(Description = "decode binary: V2RequestReader")]
    public object DecodeBinary() => V2RequestReader.Read(_binary.Body, _binary.HeaderLength);

    [Benchmark(Description = "encode JSON response: V2ResponseWriter")]
    public Task EncodeJsonResponse() => V2ResponseWriter.WriteAsync(_http.Response, _response, _decoded, CancellationToken.None);
}
