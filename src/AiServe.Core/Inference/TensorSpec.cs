namespace AiServe.Core.Inference;

/// <summary>The declared name, type and shape (-1 for a variable dimension) of a model input or output.</summary>
public sealed record TensorSpec(string Name, TensorDataType DataType, long[] Shape)
{
    /// <summary>
    /// Set by a backend that cannot tell how many dimensions the model file gives the tensor (ONNX Runtime shows a
    /// tensor declared without any shape as it shows a scalar). <see cref="Shape"/> is then <c>[]</c> and says
    /// nothing: the tensor's shape must come from model.json, which <c>SignatureResolver</c> requires before a version
    /// is served, so no served signature has such a spec.
    /// </summary>
    public bool UnknownRank { get; init; }

    /// <summary>
    /// What model.json promises of an output beyond the model file: the sizes it fixes where the file leaves them
    /// variable (-1 in every other place), or its whole shape over a tensor of unknown rank. Each answer is checked
    /// against it, since the file does not guarantee it. Null when model.json adds nothing to the file's shape: the
    /// file's own sizes are not checked again (ONNX Runtime answers what the graph computes, and before this check
    /// existed a file declaring an output [1, 3] was served [N, 3] for N rows; such models must keep working).
    /// </summary>
    public long[]? Promise { get; init; }

    /// <summary>Whether a concrete shape fits this declaration.</summary>
    public bool Accepts(ReadOnlySpan<long> shape) => TensorShape.Matches(Shape, shape);

    /// <summary>The shape formatted as <c>-1,4</c>.</summary>
    public string FormatShape() => TensorShape.Format(Shape);
}
