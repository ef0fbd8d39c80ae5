using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Tests.Pipelines;

/// <summary>Comparisons of tensors and answers with the Python side's fixtures.</summary>
internal static class PipelineAssert
{
    public static void TensorEqual(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.DataType, actual.DataType);
        Assert.Equal(expected.Shape, actual.Shape);
        if (expected.DataType == TensorDataType.Int64)
        {
            Assert.Equal(expected.AsSpan<long>().ToArray(), actual.AsSpan<long>().ToArray());
            return;
        }

        var e = expected.AsSpan<float>();
        var a = actual.AsSpan<float>();
        for (var i = 0; i < e.Length; i++)
        {
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance, $"{expected.Name}[{i}]: expected {e[i]}, got {a[i]}");
        }
    }

    /// <summary>Every field of the expected prediction is in the answer: strings exactly, numbers within tolerance.</summary>
    public static void PredictionEqual(JsonElement expected, JsonNode? actual, double tolerance, string where)
    {
        Assert.NotNull(actual);
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in expected.EnumerateObject())
                {
                    PredictionEqual(property.Value, actual.AsObject()[property.Name], tolerance, $"{where}.{property.Name}");
                }

                break;
            case JsonValueKind.Array:
                var array = actual.AsArray();
                Assert.True(expected.GetArrayLength() == array.Count, $"{where}: expected {expected.GetArrayLength()} elements, got {array.Count}");
                var i = 0;
                foreach (var item in expected.EnumerateArray())
                {
                    PredictionEqual(item, array[i], tolerance, $"{where}[{i}]");
                    i++;
                }

                break;
            case JsonValueKind.Number:
                var value = double.Parse(actual.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(expected.GetDouble() - value) <= tolerance, $"{where}: expected {expected.GetDouble()}, got {value}");
                break;
            default:
                Assert.Equal(expected.ToString(), actual.ToString());
                break;
        }
    }

    public static InferenceException InvalidArgument(Action action, params string[] mentions)
    {
        var ex = Assert.Throws<InferenceException>(action);
        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
        foreach (var mention in mentions)
        {
            Assert.Contains(mention, ex.Message, StringComparison.Ordinal);
        }

        return ex;
    }
}
