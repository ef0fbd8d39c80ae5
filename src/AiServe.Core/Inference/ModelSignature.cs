namespace AiServe.Core.Inference;

/// <summary>The inputs and outputs a loaded model version serves.</summary>
public sealed record ModelSignature(IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs)
{
    // The outputs whose shape model.json promises beyond the model file (TensorSpec.Promise): the only ones answers are
    // checked against. Usually none. Computed when the signature is made (no signature is ever copied with `with`).
    private readonly TensorSpec[] _promised = Outputs.Where(o => o.Promise is not null).ToArray();

    /// <summary>Every output's name, in order: what a request that names no outputs asks for.</summary>
    public IReadOnlyList<string> OutputNames { get; } = Outputs.Select(o => o.Name).ToArray();

    /// <summary>Finds an input by name.</summary>
    public TensorSpec? FindInput(string name) => Find(Inputs, name);

    /// <summary>Finds an output by name.</summary>
    public TensorSpec? FindOutput(string name) => Find(Outputs, name);

    /// <summary>
    /// Fails an answer that breaks what model.json promises beyond the model file (<see cref="TensorSpec.Promise"/>:
    /// a size it declares where the file has -1, or a shape where the file gives no rank), so that no answer
    /// contradicts a shape the version publishes on model.json's word alone. A -1 matches any size. Outputs whose
    /// model.json adds nothing are not checked: the file's own sizes are what ONNX Runtime was given, and it answers
    /// what the graph computes. Nothing to do, and nothing done, for a signature without promises.
    /// </summary>
    /// <exception cref="InferenceException">Internal, naming the output, the published shape and the one the run gave.</exception>
    public void CheckAnswer(IReadOnlyList<Tensor> outputs, string modelName, long version)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (_promised.Length == 0)
        {
            return;
        }

        for (var k = 0; k < outputs.Count; k++)
        {
            var output = outputs[k];
            if (Find(_promised, output.Name) is { Promise: { } promise } spec && !TensorShape.Matches(promise, output.ShapeSpan))
            {
                throw new InferenceException(InferenceErrorCode.Internal,
                    $"unexpected shape for output '{output.Name}' of model '{modelName}' version {version}: its published shape is [{spec.FormatShape()}], " +
                    $"the run gave [{TensorShape.Format(output.ShapeSpan)}]");
            }
        }
    }

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
