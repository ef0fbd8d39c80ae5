using System.Text;
using AiServe.Client;

namespace AiServe.Bench;

/// <summary>Builds the request the bench sends: random inputs from a model's metadata, or a request read from a file.</summary>
internal static class InputFactory
{
    /// <summary>
    /// One tensor per metadata input, with a -1 in dimension 0 replaced by <paramref name="batch"/> and any other -1 by 1.
    /// Values are seeded, so the same seed gives the same body: floats in [0, 1), integers in [0, 100), random BOOLs,
    /// and 8-letter ASCII strings for BYTES. A batch above 1 needs an input whose dimension 0 is variable, so that
    /// every request carries the batch the results are counted in.
    /// </summary>
    /// <exception cref="InvalidOperationException">The metadata describes inputs the bench cannot make (none, no name, an unknown datatype, too many elements), or no input can carry the batch.</exception>
    public static InferRequest Random(ModelMetadata metadata, int batch, int seed)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.Inputs.Count == 0)
        {
            throw new InvalidOperationException($"model '{metadata.Name}' has no inputs in its metadata");
        }

        if (batch != 1 && !metadata.Inputs.Any(i => i.Shape.Count > 0 && i.Shape[0] < 0))
        {
            throw new InvalidOperationException($"--batch {batch} cannot be sent to model '{metadata.Name}': no input has a variable dimension 0 (-1) to carry it ("
                + string.Join(", ", metadata.Inputs.Select(i => $"{i.Name} [{string.Join(", ", i.Shape)}]"))
                + "); leave --batch out, and each request is one inference");
        }

        // Not security-sensitive: a seeded generator so that runs are reproducible.
#pragma warning disable CA5394
        var random = new Random(seed);
        var request = new InferRequest();
        foreach (var input in metadata.Inputs)
        {
            if (input.Name.Length == 0)
            {
                throw new InvalidOperationException($"model '{metadata.Name}' has an input with an empty name in its metadata");
            }

            var shape = input.Shape.Select((d, i) => d >= 0 ? d : i == 0 ? batch : 1).ToArray();
            if (!InferTensor.TryGetElementCount(shape, out var count))
            {
                throw new InvalidOperationException($"input '{input.Name}' would have shape [{string.Join(", ", shape)}], more than the {Array.MaxLength} elements a tensor can hold");
            }

            Array data = input.Datatype switch
            {
                V2DataTypes.Fp32 => Fill(count, () => random.NextSingle()),
                V2DataTypes.Fp64 => Fill(count, random.NextDouble),
                V2DataTypes.Fp16 => Fill(count, () => (Half)random.NextSingle()),
                V2DataTypes.Bf16 => Fill(count, () => (ushort)(BitConverter.SingleToUInt32Bits(random.NextSingle()) >> 16)),
                V2DataTypes.Bool => Fill(count, () => random.Next(2) == 1),
                V2DataTypes.UInt8 => Fill(count, () => (byte)random.Next(100)),
                V2DataTypes.Int8 => Fill(count, () => (sbyte)random.Next(100)),
                V2DataTypes.UInt16 => Fill(count, () => (ushort)random.Next(100)),
                V2DataTypes.Int16 => Fill(count, () => (short)random.Next(100)),
                V2DataTypes.UInt32 => Fill(count, () => (uint)random.Next(100)),
                V2DataTypes.Int32 => Fill(count, () => random.Next(100)),
                V2DataTypes.UInt64 => Fill(count, () => (ulong)random.Next(100)),
                V2DataTypes.Int64 => Fill(count, () => (long)random.Next(100)),
                V2DataTypes.Bytes => Fill(count, () => Encoding.ASCII.GetBytes(new string(Fill(8, () => (char)('a' + random.Next(26)))))),
                _ => throw new InvalidOperationException($"input '{input.Name}' has datatype '{input.Datatype}', which the bench cannot generate"),
            };
#pragma warning restore CA5394
            request.Inputs.Add(new InferTensor(input.Name, input.Datatype, shape, data));
        }

        return request;
    }

    /// <summary>Reads a JSON V2 infer request from a file.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be read or is not a V2 request.</exception>
    public static InferRequest FromFile(string path)
    {
        byte[] json;
        try
        {
            json = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot read --input-file '{path}': {ex.Message}", ex);
        }

        try
        {
            return InferRequest.FromJson(json);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new InvalidOperationException($"--input-file '{path}' is not a JSON V2 infer request: {ex.Message}", ex);
        }
    }

    /// <summary>The batch a request from a file carries: its first input's dimension 0, or 1 when that input is a scalar.</summary>
    /// <exception cref="InvalidOperationException">Dimension 0 is 0 (no inference) or past an int.</exception>
    public static int BatchOf(InferRequest request, string path)
    {
        ArgumentNullException.ThrowIfNull(request);
        var first = request.Inputs[0];
        if (first.Shape.Count == 0)
        {
            return 1;
        }

        return first.Shape[0] is >= 1 and <= int.MaxValue
            ? (int)first.Shape[0]
            : throw new InvalidOperationException($"--input-file '{path}': its first input '{first.Name}' has shape [{string.Join(", ", first.Shape)}], "
                + $"and dimension 0, the batch, must be from 1 to {int.MaxValue}");
    }

    private static T[] Fill<T>(int count, Func<T> next)
    {
        var data = new T[count];
        for (var i = 0; i < count; i++)
        {
            data[i] = next();
        }

        return data;
    }
}
