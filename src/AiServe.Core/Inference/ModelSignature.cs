namespace AiServe.Core.Inference;

/// <summary>The inputs and outputs a loaded model version serves.</summary>
public sealed record ModelSignature(IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs)
{
    /// <summary>Finds an input by name.</summary>
    public TensorSpec? FindInput(string name) => Find(Inputs, name);

    /// <summary>Finds an output by name.</summary>
    public TensorSpec? FindOutput(string name) => Find(Outputs, name);

    private static TensorSpec? Find(IReadOnlyList<TensorSpec> specs, string name)
    {
        foreach (var spec in specs)
        {
            if (spec.Name == name)
            {
                return spec;
            }
        }

        return null;
    }
}
