using AiServe.Core.Inference;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiServe.Onnx;

/// <summary>An output whose shape the signature fixes but for its first dimension (the batch).</summary>
internal sealed class OutputLayout
{
    private readonly long[] _shape;

    private OutputLayout(TensorDataType dataType, long[] shape, long bytesPerRow)
    {
        DataType = dataType;
        ElementType = OnnxTypeMap.ToElementType(dataType);
        _shape = shape;
        BytesPerRow = bytesPerRow;
    }

    public TensorDataType DataType { get; }

    public TensorElementType ElementType { get; }

    /// <summary>Bytes of one row (one index of the first dimension): the element size times every dimension after it.</summary>
    public long BytesPerRow { get; }

    /// <summary>The layout of an output spec, or null if ONNX Runtime must allocate that output itself.</summary>
    public static OutputLayout? Of(TensorSpec spec)
    {
        if (spec.DataType == TensorDataType.Bytes || spec.Shape.Length == 0)
        {
            return null;
        }

        long bytesPerRow = spec.DataType.ElementSize();
        for (var d = 1; d < spec.Shape.Length; d++)
        {
            if (spec.Shape[d] <= 0)
            {
                return null;
            }

            bytesPerRow = checked(bytesPerRow * spec.Shape[d]);
        }

        return spec.Shape[0] == 0 ? null : new OutputLayout(spec.DataType, (long[])spec.Shape.Clone(), bytesPerRow);
    }

    /// <summary>The shape for a batch of <paramref name="rows"/>; a fixed first dimension stays as declared.</summary>
    public long[] ShapeFor(long rows)
    {
        var shape = (long[])_shape.Clone();
        if (shape[0] < 0)
        {
            shape[0] = rows;
        }

        return shape;
    }
}
