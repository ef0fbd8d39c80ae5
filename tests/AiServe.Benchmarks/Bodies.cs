using AiServe.Client;
using AiServe.Core.Inference;

namespace AiServe.Benchmarks;

/// <summary>The request bodies of the benchmarks: seeded random FP32 inputs, encoded by AiServe.Client exactly as aiserve-bench sends them.</summary>
internal static class Bodies
{
    /// <summary>The cases: iris at batch 1 (4 floats) and fashion-mnist at batch 8 (6,272 floats).</summary>
    public static (string Model, string Input, long[] Shape) Case(string name) => name switch
    {
        "iris-b1" => ("iris", "input", [1, 4]),
        "fashion-mnist-b8" => ("fashion-mnist", "input", [8, 1, 28, 28]),
        _ => throw new ArgumentException($"unknown case '{name}'", nameof(name)),
    };

    public static float[] RandomFloats(long count, int seed = 42)
    {
        var random = new Random(seed);
        var data = new float[count];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = random.NextSingle();
        }

        return data;
    }

    /// <summary>A case's model and shape with its body encoded both ways (JSON, and the binary extension).</summary>
    public static (string Model, long[] Shape, EncodedInferRequest Json, EncodedInferRequest Binary) Encoded(string name)
    {
        var (model, input, shape) = Case(name);
        return (model, shape, Encode(input, shape, binary: false), Encode(input, shape, binary: true));
    }

    public static EncodedInferRequest Encode(string input, long[] shape, bool binary)
    {
        var request = new InferRequest();
        request.Inputs.Add(InferTensor.Fp32(input, shape, RandomFloats(TensorShape.ElementCount(shape))));
        return EncodedInferRequest.Encode(request, binary ? InferOptions.Binary : InferOptions.Json);
    }
}
