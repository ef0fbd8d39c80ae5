using System.Text;

namespace AiServe.Client;

/// <summary>
/// A named tensor of an infer request or response: a V2 datatype, a shape and the elements in row-major order, held
/// in a typed array (<c>float[]</c> for FP32, <c>long[]</c> for INT64, <c>bool[]</c> for BOOL, <c>byte[][]</c> for
/// BYTES...; see <see cref="V2DataTypes"/>). Immutable after construction; the arrays are not copied, so do not change
/// them while a request that holds them is in use.
/// </summary>
public sealed class InferTensor
{
    /// <summary>Creates a tensor, checking that the array's element type fits the datatype and its length fits the shape.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="datatype">A V2 wire name (see <see cref="V2DataTypes"/>).</param>
    /// <param name="shape">The dimensions; none negative.</param>
    /// <param name="data">The elements, row-major, in the array type <see cref="V2DataTypes.ElementType"/> names.</param>
    /// <exception cref="ArgumentException">The datatype is unknown, the array has the wrong type or a null BYTES element, or the count does not match the shape or passes what one array holds.</exception>
    public InferTensor(string name, string datatype, IReadOnlyList<long> shape, Array data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        var elementType = V2DataTypes.ElementType(datatype);
        if (data.GetType().GetElementType() != elementType || data.Rank != 1)
        {
            throw new ArgumentException($"tensor '{name}' of datatype {datatype} needs a {elementType.Name}[], got {data.GetType().Name}", nameof(data));
        }

        if (data is byte[][] elements && Array.IndexOf(elements, null) is var missing and >= 0)
        {
            throw new ArgumentException($"element {missing} of BYTES tensor '{name}' is null; an empty element is an empty array", nameof(data));
        }

        if (!TryGetElementCount(shape, out var count))
        {
            throw new ArgumentException(
                shape.Any(dim => dim < 0)
                    ? $"tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}]"
                    : $"tensor '{name}' has shape [{string.Join(", ", shape)}], more than the {Array.MaxLength} elements one array holds",
                nameof(shape));
        }

        if (count != data.Length)
        {
            throw new ArgumentException($"tensor '{name}' has shape [{string.Join(", ", shape)}] ({count} elements) but {data.Length} elements of data", nameof(data));
        }

        Name = name;
        Datatype = datatype;
        Shape = shape.ToArray();
        Data = data;
    }

    /// <summary>The tensor's name.</summary>
    public string Name { get; }

    /// <summary>The V2 datatype (wire name).</summary>
    public string Datatype { get; }

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The elements, row-major, as the typed array the datatype implies.</summary>
    public Array Data { get; }

    /// <summary>The number of elements.</summary>
    public int ElementCount => Data.Length;

    /// <summary>
    /// The number of elements of a tensor of <paramref name="shape"/>, when one array can hold them (at most
    /// <see cref="Array.MaxLength"/>). A 0 anywhere makes none, however large the other dimensions.
    /// </summary>
    /// <param name="shape">The dimensions.</param>
    /// <param name="count">The number of elements; 0 when the method returns false.</param>
    /// <returns>False when a dimension is negative (e.g. metadata's -1) or the elements are more than an array holds.</returns>
    public static bool TryGetElementCount(IReadOnlyList<long> shape, out int count)
    {
        ArgumentNullException.ThrowIfNull(shape);
        count = 0;
        if (shape.Any(dim => dim < 0))
        {
            return false;
        }

        if (shape.Contains(0))
        {
            return true;
        }

        long product = 1;
        foreach (var dim in shape)
        {
            if (dim > Array.MaxLength / product)
            {
                return false;
            }

            product *= dim;
        }

        count = (int)product;
        return true;
    }

    /// <summary>An FP32 tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The elements, row-major.</param>
    public static InferTensor Fp32(string name, long[] shape, float[] data) => new(name, V2DataTypes.Fp32, shape, data);

    /// <summary>An FP64 tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The elements, row-major.</param>
    public static InferTensor Fp64(string name, long[] shape, double[] data) => new(name, V2DataTypes.Fp64, shape, data);

    /// <summary>An FP16 tensor (binary inputs only).</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The elements, row-major.</param>
    public static InferTensor Fp16(string name, long[] shape, Half[] data) => new(name, V2DataTypes.Fp16, shape, data);

    /// <summary>An INT64 tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The elements, row-major.</param>
    public static InferTensor Int64(string name, long[] shape, long[] data) => new(name, V2DataTypes.Int64, shape, data);

    /// <summary>An INT32 tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The elements, row-major.</param>
    public static InferTensor Int32(string name, long[] shape, int[] data) => new(name, V2DataTypes.Int32, shape, data);

    /// <summary>A UINT8 tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The elements, row-major.</param>
    public static InferTensor UInt8(string name, long[] shape, byte[] data) => new(name, V2DataTypes.UInt8, shape, data);

    /// <summary>A BOOL tensor.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The elements, row-major.</param>
    public static InferTensor Bool(string name, long[] shape, bool[] data) => new(name, V2DataTypes.Bool, shape, data);

    /// <summary>A BYTES tensor of raw byte strings.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The elements, row-major.</param>
    public static InferTensor Bytes(string name, long[] shape, byte[][] data) => new(name, V2DataTypes.Bytes, shape, data);

    /// <summary>A BYTES tensor of UTF-8 encoded strings.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="shape">The dimensions.</param>
    /// <param name="data">The elements, row-major.</param>
    public static InferTensor Strings(string name, long[] shape, string[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        // A null string stays null here, for the constructor to refuse naming its index.
        return new(name, V2DataTypes.Bytes, shape, Array.ConvertAll(data, s => s is null ? null! : Encoding.UTF8.GetBytes(s)));
    }

    /// <summary>The elements as <typeparamref name="T"/>[] (e.g. <c>GetData&lt;float&gt;()</c> for FP32).</summary>
    /// <typeparam name="T">The element type <see cref="V2DataTypes.ElementType"/> names for this datatype.</typeparam>
    /// <exception cref="InvalidOperationException">The tensor holds another element type.</exception>
    public T[] GetData<T>() => Data.GetType() == typeof(T[])
        ? (T[])Data
        : throw new InvalidOperationException($"tensor '{Name}' is {Datatype} and holds {Data.GetType().Name}, not {typeof(T).Name}[]");

    /// <summary>The elements of a BYTES tensor decoded as UTF-8 strings.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not BYTES.</exception>
    public string[] GetStrings() => Array.ConvertAll(GetData<byte[]>(), b => Encoding.UTF8.GetString(b));

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Datatype} [{string.Join(", ", Shape)}]";
}
