using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using AiServe.Core.Repository;

namespace AiServe.Benchmarks;

/// <summary>
/// One model as the HTTP ceiling serves it: its metadata, and its answers, made once per kind of request and kept as
/// UTF-8 bytes. An answer holds the outputs the request asks for (all of the model's, in model.json's order, when it
/// names none), each shaped as model.json declares it with a variable first dimension set to the request's rows
/// (dimension 0 of its first input) and any other variable dimension set to 1, and filled with fixed values written
/// as a V2 server writes them: fractions with a float's digits for floating-point outputs, one-digit integers for
/// integer outputs, <c>false</c> for BOOL and <c>"x"</c> for BYTES.
/// </summary>
internal sealed class CeilingModel(V2ModelMetadataDto metadata, string name, string version, IReadOnlyList<TensorConfig> outputs)
{
    // Rows beyond this share its answer: the ceiling is a yardstick, not a store.
    private const long MaxRows = 4096;

    private readonly ConcurrentDictionary<(long Rows, string Outputs), byte[]> _answers = new();

    public V2ModelMetadataDto Metadata => metadata;

    /// <summary>The model's run, when the ceiling runs the models (<c>--run-models</c>); else null.</summary>
    public CeilingModelRunner? Runner { get; init; }

    /// <summary>The answer to a request whose first input has data; null when it asks for an output the model lacks.</summary>
    public byte[]? AnswerTo(V2RequestDto request)
    {
        var shape = request.Inputs[0].Shape;
        var rows = Math.Clamp(shape.Length > 0 ? shape[0] : 1, 1, MaxRows);
        var named = request.Outputs is { Count: > 0 } list ? list.Select(o => o.Name).ToArray() : null;
        var requested = named is null ? "" : string.Join('\n', named);
        if (_answers.TryGetValue((rows, requested), out var answer))
        {
            return answer;
        }

        var selected = new List<TensorConfig>();
        foreach (var wanted in named ?? outputs.Select(o => o.Name))
        {
            if (outputs.FirstOrDefault(o => o.Name == wanted) is not { } output)
            {
                return null;
            }

            selected.Add(output);
        }

        return _answers.GetOrAdd((rows, requested), Write(rows, selected));
    }

    /// <summary>A V2 infer answer: the model's name and version around the outputs <paramref name="writeOutputs"/> writes.</summary>
    public static byte[] WriteAnswer<TState>(string name, string version, TState state, Action<Utf8JsonWriter, TState> writeOutputs)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model_name", name);
            json.WriteString("model_version", version);
            json.WriteStartArray("outputs");
            writeOutputs(json, state);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private byte[] Write(long rows, List<TensorConfig> selected) => WriteAnswer(name, version, (rows, selected), static (json, s) =>
    {
        foreach (var output in s.selected)
        {
            var shape = output.Shape.Select((d, i) => d >= 0 ? d : i == 0 ? s.rows : 1).ToArray();
            json.WriteStartObject();
            json.WriteString("name", output.Name);
            json.WriteString("datatype", output.Datatype);
            json.WriteStartArray("shape");
            foreach (var d in shape)
            {
                json.WriteNumberValue(d);
            }

            json.WriteEndArray();
            json.WriteStartArray("data");
            var count = shape.Aggregate(1L, (a, d) => a * d);
            for (var k = 0L; k < count; k++)
            {
                WriteValue(json, output.Datatype, k);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }
    });

    private static void WriteValue(Utf8JsonWriter json, string datatype, long k)
    {
        switch (datatype)
        {
            case "FP16" or "BF16" or "FP32" or "FP64":
                // The fractional parts of multiples of the golden ratio: spread over (0, 1), each with a float's digits.
                json.WriteNumberValue((float)((k + 1) * 0.6180339887498949 % 1.0));
                break;
            case "BOOL":
                json.WriteBooleanValue(false);
                break;
            case "BYTES":
                json.WriteStringValue("x");
                break;
            default:
                json.WriteNumberValue(k % 10);
                break;
        }
    }
}
