namespace AiServe.Core.Inference;

/// <summary>Helpers for shapes given as <c>long[]</c>, where -1 marks a variable dimension in a declared shape.</summary>
public static class TensorShape
{
    /// <summary>The number of elements of a concrete shape; throws InvalidArgument on negative dims or overflow.</summary>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                throw new InferenceException(InferenceErrorCode.InvalidArgument, $"shape [{Format(shape)}] has a negative dimension");
            }

            // Shapes come from clients: a product past long.MaxValue is their mistake (400), not an OverflowException (500).
            if (dim != 0 && count > long.MaxValue / dim)
            {
                throw new InferenceException(InferenceErrorCode.InvalidArgument, $"shape [{Format(shape)}] has more elements than can be addressed");
            }

            count *= dim;
        }

        return count;
    }

    /// <summary>Whether <paramref name="actual"/> fits <paramref name="declared"/> (same rank; -1 matches any size).</summary>
    public static bool Matches(ReadOnlySpan<long> declared, ReadOnlySpan<long> actual)
    {
        if (declared.Length != actual.Length)
        {
            return false;
        }

        for (var i = 0; i < declared.Length; i++)
        {
            if (declared[i] >= 0 && declared[i] != actual[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Formats a shape as <c>-1,4</c>.</summary>
    public static string Format(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return string.Join(',', parts);
    }
}
