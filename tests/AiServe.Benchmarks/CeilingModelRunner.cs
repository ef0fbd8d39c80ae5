using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiServe.Benchmarks;

/// <summary>
/// The model run of the HTTP ceiling in its <c>--run-models</c> mode: a minimal hand-written wrapper around ONNX
/// Runtime's plain API (one <see cref="InferenceSession"/> per model, its latest version; each request's FP32 inputs
/// as <see cref="DenseTensor{T}"/>s over the DTOs' arrays; <see cref="InferenceSession.Run(IReadOnlyCollection{NamedOnnxValue}, IReadOnlyCollection{string})"/>;
/// the outputs written back as V2 JSON). No queue, no batching, no deadlines, no validation beyond what ONNX Runtime
/// does, no logging: against it, AiServe's throughput measures the server's own work with the model's run on both
/// sides. The session runs on ONNX Runtime's default thread settings, spinning off (as AiServe's are).
/// </summary>
internal sealed class CeilingModelRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _allOutputs;
    private readonly string _name;
    private readonly string _version;

    public CeilingModelRunner(string path, string name, string version)
    {
        using var options = new SessionOptions();
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        _session = new InferenceSession(path, options);
        _allOutputs = [.. _session.OutputNames];
        _name = name;
        _version = version;
    }

    /// <summary>The V2 JSON answer to the request, or null with <paramref name="error"/> when it cannot be run.</summary>
    public byte[]? Run(V2RequestDto request, out string? error)
    {
        if (Inputs(request, out error) is not { } inputs)
        {
            return null;
        }

        IReadOnlyCollection<string> outputs = request.Outputs is { Count: > 0 } named ? named.Select(o => o.Name).ToArray() : _allOutputs;
        try
        {
            using var results = _session.Run(inputs, outputs);
            var answer = CeilingModel.WriteAnswer(_name, _version, results, static (json, rs) =>
            {
                foreach (var result in rs)
                {
                    Write(json, result);
                }
            });
            error = null;
            return answer;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or NotSupportedException)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>The request's FP32 inputs as ONNX Runtime values, or null with <paramref name="error"/>.</summary>
    private static List<NamedOnnxValue>? Inputs(V2RequestDto request, out string? error)
    {
        var inputs = new List<NamedOnnxValue>(request.Inputs.Count);
        foreach (var input in request.Inputs)
        {
            if (input.Datatype != "FP32" || input.Data is null)
            {
                error = $"input '{input.Name}': this yardstick runs FP32 'data' only";
                return null;
            }

            var dims = new int[input.Shape.Length];
            long count = 1;
            for (var i = 0; i < dims.Length; i++)
            {
                if (input.Shape[i] is < 0 or > int.MaxValue)
                {
                    error = $"input '{input.Name}': dimension {input.Shape[i]} is out of range";
                    return null;
                }

                dims[i] = (int)input.Shape[i];
                count = count > int.MaxValue ? count : count * dims[i]; // past int.MaxValue it can only be wrong
            }

            if (count != input.Data.Length)
            {
                error = $"input '{input.Name}': shape needs {count} elements, data holds {input.Data.Length}";
                return null;
            }

            inputs.Add(NamedOnnxValue.CreateFromTensor(input.Name, new DenseTensor<float>(input.Data, dims)));
        }

        error = null;
        return inputs;
    }

    public void Dispose() => _session.Dispose();

    private static void Write(Utf8JsonWriter json, DisposableNamedOnnxValue result)
    {
        json.WriteStartObject();
        json.WriteString("name", result.Name);
        switch (result.ElementType)
        {
            case TensorElementType.Float:
                WriteTensor(json, "FP32", result.AsTensor<float>(), static (j, v) => j.WriteNumberValue(v));
                break;
            case TensorElementType.Double:
                WriteTensor(json, "FP64", result.AsTensor<double>(), static (j, v) => j.WriteNumberValue(v));
                break;
            case TensorElementType.Int64:
                WriteTensor(json, "INT64", result.AsTensor<long>(), static (j, v) => j.WriteNumberValue(v));
                break;
            case TensorElementType.Int32:
                WriteTensor(json, "INT32", result.AsTensor<int>(), static (j, v) => j.WriteNumberValue(v));
                break;
            default:
                throw new NotSupportedException($"output '{result.Name}' is {result.ElementType}; this yardstick writes FP32, FP64, INT64 and INT32");
        }

        json.WriteEndObject();
    }

    private static void WriteTensor<T>(Utf8JsonWriter json, string datatype, Tensor<T> tensor, Action<Utf8JsonWriter, T> write)
    {
        json.WriteString("datatype", datatype);
        json.WriteStartArray("shape");
        foreach (var d in tensor.Dimensions)
        {
            json.WriteNumberValue(d);
        }

        json.WriteEndArray();
        json.WriteStartArray("data");
        foreach (var value in tensor)
        {
            write(json, value);
        }

        json.WriteEndArray();
    }
}
