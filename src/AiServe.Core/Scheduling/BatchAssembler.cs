using System.Buffers;
using AiServe.Core.Inference;

namespace AiServe.Core.Scheduling;

/// <summary>Merges tensors along dimension 0 and splits results back, one slice per request (slices share memory).</summary>
internal static class BatchAssembler
{
    /// <summary>
    /// Concatenates same-named tensors (same type, same dims after the first) along dimension 0. The bytes of a
    /// fixed-size type go into <paramref name="rented"/>, a buffer from <see cref="ArrayPool{T}"/> that the caller
    /// returns once the run that reads it is over.
    /// </summary>
    public static Tensor Concat(string name, IReadOnlyList<Tensor> parts, out byte[]? rented)
    {
        var first = parts[0];
        var shape = first.Shape.ToArray();
        shape[0] = parts.Sum(p => p.ShapeSpan[0]);
        rented = null;
        if (first.DataType == TensorDataType.Bytes)
        {
            var elements = new List<ReadOnlyMemory<byte>>(parts.Sum(p => p.Elements!.Count));
            foreach (var part in parts)
            {
                elements.AddRange(part.Elements!);
            }

            return Tensor.FromElements(name, shape, elements);
        }

        var length = parts.Sum(p => p.Data.Length);
        rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        var offset = 0;
        foreach (var part in parts)
        {
            part.Data.Span.CopyTo(rented.AsSpan(offset));
            offset += part.Data.Length;
        }

        return Tensor.FromBytes(name, first.DataType, shape, rented.AsMemory(0, length));
    }

    /// <summary>Cuts <paramref name="output"/> into consecutive row ranges of the given sizes.</summary>
    public static Tensor[] Split(Tensor output, IReadOnlyList<long> rows)
    {
        var total = rows.Sum();
        if (output.ShapeSpan.Length == 0 || output.ShapeSpan[0] != total)
        {
            throw new InferenceException(InferenceErrorCode.Internal,
                $"output '{output.Name}' has shape [{TensorShape.Format(output.ShapeSpan)}], which does not start with the batch size {total}; it cannot be split between requests");
        }

        var result = new Tensor[rows.Count];
        long start = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var shape = output.Shape.ToArray();
            shape[0] = rows[i];
            if (output.DataType == TensorDataType.Bytes)
            {
                var perRow = total == 0 ? 0 : output.Elements!.Count / total;
                var slice = output.Elements!.Skip((int)(start * perRow)).Take((int)(rows[i] * perRow)).ToArray();
                result[i] = Tensor.FromElements(output.Name, shape, slice);
            }
            else
            {
                var perRow = total == 0 ? 0 : output.Data.Length / total;
                result[i] = Tensor.FromBytes(output.Name, output.DataType, shape, output.Data.Slice((int)(start * perRow), (int)(rows[i] * perRow)));
            }

            start += rows[i];
        }

        return result;
    }

    /// <summary>
    /// Whether two requests may be merged into one run: the same inputs in the same order with the same types and
    /// the same dims after the first, and the same outputs asked. Compares in place (no per-request key to build).
    /// </summary>
    public static bool CanMerge(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputs, IReadOnlyList<Tensor> otherInputs, IReadOnlyList<string> otherOutputs)
    {
        if (inputs.Count != otherInputs.Count || outputs.Count != otherOutputs.Count)
        {
            return false;
        }

        for (var i = 0; i < inputs.Count; i++)
        {
            Tensor a = inputs[i], b = otherInputs[i];
            var x = a.ShapeSpan;
            var y = b.ShapeSpan;
            if (a.DataType != b.DataType || x.Length != y.Length || (x.Length > 1 && !x[1..].SequenceEqual(y[1..])) || !string.Equals(a.Name, b.Name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        if (!ReferenceEquals(outputs, otherOutputs))
        {
            for (var o = 0; o < outputs.Count; o++)
            {
                if (!string.Equals(outputs[o], otherOutputs[o], StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
