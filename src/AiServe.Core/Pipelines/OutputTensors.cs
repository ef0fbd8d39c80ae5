using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>Reads model outputs as rows of doubles, whatever their numeric type.</summary>
internal static class OutputTensors
{
    /// <summary>The output named <paramref name="name"/>, as [rows, columns] values.</summary>
    public static (double[] Values, int Rows, int Columns) Read(IReadOnlyList<Tensor> outputs, string name)
    {
        var tensor = outputs.FirstOrDefault(t => t.Name == name)
            ?? throw PipelineErrors.Output($"the model returned no output '{name}'");
        var values = ToDoubles(tensor);
        var shape = tensor.ShapeSpan;
        if (shape.Length == 0)
        {
            return (values, 1, 1);
        }

        var rows = checked((int)shape[0]);
        var columns = rows == 0 ? 0 : values.Length / rows;
        return (values, rows, columns);
    }

    public static double[] ToDoubles(Tensor tensor) => tensor.DataType switch
    {
        TensorDataType.Fp32 => Convert(tensor.AsSpan<float>(), static v => v),
        TensorDataType.Fp64 => tensor.AsSpan<double>().ToArray(),
        TensorDataType.Fp16 => Convert(tensor.AsSpan<Half>(), static v => (double)v),
        TensorDataType.Int64 => Convert(tensor.AsSpan<long>(), static v => v),
        TensorDataType.Int32 => Convert(tensor.AsSpan<int>(), static v => v),
        _ => throw PipelineErrors.Output($"output '{tensor.Name}' has datatype {tensor.DataType.ToWireName()}, expected a number type"),
    };

    private static double[] Convert<T>(ReadOnlySpan<T> span, Func<T, double> convert)
    {
        var result = new double[span.Length];
        for (var i = 0; i < span.Length; i++)
        {
            result[i] = convert(span[i]);
        }

        return result;
    }
}
