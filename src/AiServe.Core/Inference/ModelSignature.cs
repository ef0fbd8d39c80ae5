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
        // Indexed: foreach over the interface would allocate an enumerator on every request.
        for (var i = 0; i < specs.Count; i++)
        {
            if (specs[i].Name == name)
            {
                return specs[i];
            }
        }

        return null;
    }
}
