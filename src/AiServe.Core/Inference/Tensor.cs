namespace AiServe.Core.Inference;

/// <summary>
/// A named tensor. Fixed-size types keep their elements as little-endian, row-major bytes in <see cref="Data"/>
/// (the layout of the binary protocol extension and of ONNX Runtime, so no conversion is needed at either edge);
/// <see cref="TensorDataType.Bytes"/> keeps one byte string per element in <see cref="Elements"/>.
/// A tensor does not own pooled memory: whoever created the buffers keeps them alive until the request ends.
/// </summary>
public sealed class Tensor
{
    private Tensor(string name, TensorDataType dataType, long[] shape, ReadOnlyMemory<byte> data, IReadOnlyList<ReadOnlyMemory<byte>>? elements)
    {
        Name = name;
        DataType = dataType;
        ShapeArray = shape;
        Data = data;
        Elements = elements;
    }

    /// <summary>The tensor's name (an input or output name of the model).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public TensorDataType DataType { get; }

    /// <summary>The concrete shape (no -1).</summary>
    public IReadOnlyList<long> Shape => ShapeArray;

    /// <summary>The element bytes of a fixed-size type; empty for <see cref="TensorDataType.Bytes"/>.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The elements of a <see cref="TensorDataType.Bytes"/> tensor; null for other types.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>>? Elements { get; }

    /// <summary>The element count (product of the shape).</summary>
    public long ElementCount => TensorShape.ElementCount(ShapeArray);

    internal long[] ShapeArray { get; }

    /// <summary>The shape as a span, for callers that must not allocate.</summary>
    public ReadOnlySpan<long> ShapeSpan => ShapeArray;

    /// <summary>Creates a tensor of a fixed-size type over existing little-endian bytes.</summary>
    /// <exception cref="InferenceException">The byte count does not match the shape.</exception>
    public static Tensor FromBytes(string name, TensorDataType dataType, long[] shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (dataType == TensorDataType.Bytes)
        {
            throw new ArgumentException("BYTES tensors are made with FromElements", nameof(dataType));
        }

        var count = TensorShape.ElementCount(shape);
        var expected = checked(count * dataType.ElementSize());
        if (data.Length != expected)
        {
            throw new InferenceException(
                InferenceErrorCode.InvalidArgument,
                $"tensor '{name}' of shape [{TensorShape.Format(shape)}] and datatype {dataType.ToWireName()} needs {expected} bytes, got {data.Length}");
        }

        return new Tensor(name, dataType, shape, data, null);
    }

    /// <summary>Creates a tensor of typed values (copied), for tests and small tensors built in code.</summary>
    public static Tensor FromValues<T>(string name, TensorDataType dataType, long[] shape, ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).ToArray();
        return FromBytes(name, dataType, shape, bytes);
    }

    /// <summary>Creates a BYTES tensor from its elements.</summary>
    /// <exception cref="InferenceException">The element count does not match the shape.</exception>
    public static Tensor FromElements(string name, long[] shape, IReadOnlyList<ReadOnlyMemory<byte>> elements)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(elements);
        var count = TensorShape.ElementCount(shape);
        if (elements.Count != count)
        {
            throw new InferenceException(
                InferenceErrorCode.InvalidArgument,
                $"tensor '{name}' of shape [{TensorShape.Format(shape)}] needs {count} elements, got {elements.Count}");
        }

        return new Tensor(name, TensorDataType.Bytes, shape, ReadOnlyMemory<byte>.Empty, elements);
    }

    /// <summary>Reads the data as a span of <typeparamref name="T"/> (which must match the element size).</summary>
    public ReadOnlySpan<T> AsSpan<T>()
        where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Data.Span);
}
