namespace AiServe.Core.Inference;

/// <summary>The declared name, type and shape (-1 for a variable dimension) of a model input or output.</summary>
public sealed record TensorSpec(string Name, TensorDataType DataType, long[] Shape)
{
    /// <summary>Whether a concrete shape fits this declaration.</summary>
    public bool Accepts(ReadOnlySpan<long> shape) => TensorShape.Matches(Shape, shape);

    /// <summary>The shape formatted as <c>-1,4</c>.</summary>
    public string FormatShape() => TensorShape.Format(Shape);
}
