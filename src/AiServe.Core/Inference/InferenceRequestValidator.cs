namespace AiServe.Core.Inference;

/// <summary>Checks a request against a model's signature before anything runs, so every mistake is a clear 400.</summary>
public static class InferenceRequestValidator
{
    /// <summary>Throws <see cref="InferenceException"/> (InvalidArgument) naming the first problem found.</summary>
    public static void Validate(InferenceRequest request, ModelSignature signature, int maxBatchSize, string modelName, long version)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(signature);
        // Messages are built only on failure: a valid request allocates nothing here.
        long batch = -1;
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            for (var j = 0; j < i; j++)
            {
                if (request.Inputs[j].Name == input.Name)
                {
                    throw Invalid($"input '{input.Name}' is given more than once");
                }
            }

            ValidateInput(input.Name, input.DataType, input.ShapeSpan, signature, maxBatchSize, modelName, version);
            if (maxBatchSize > 0)
            {
                var size = input.ShapeSpan[0];
                if (batch >= 0 && size != batch)
                {
                    throw Invalid($"inputs disagree on the batch size: '{input.Name}' has {size}, another input has {batch}");
                }

                batch = size;
            }
        }

        // Every input above matched a spec and no name came twice, so an input can be missing only when there are
        // fewer inputs than specs: a valid request skips the search (and its per-spec closure).
        if (request.Inputs.Count < signature.Inputs.Count)
        {
            foreach (var spec in signature.Inputs)
            {
                if (!request.Inputs.Any(t => t.Name == spec.Name))
                {
                    throw Invalid($"missing input '{spec.Name}' ({spec.DataType.ToWireName()} [{spec.FormatShape()}]) for {Model(modelName, version)}");
                }
            }
        }

        if (request.RequestedOutputs is { } outputs)
        {
            for (var i = 0; i < outputs.Count; i++)
            {
                if (signature.FindOutput(outputs[i]) is null)
                {
                    throw Invalid($"unknown output '{outputs[i]}' requested from {Model(modelName, version)}; it has {NameList(signature.Outputs)}");
                }

                for (var j = 0; j < i; j++)
                {
                    if (outputs[j] == outputs[i])
                    {
                        throw Invalid($"output '{outputs[i]}' is requested more than once");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Checks one input by its name, datatype and shape alone (a known input of that datatype, a shape the model
    /// accepts, a batch within max_batch_size), so that a decoder can refuse it before its data is read.
    /// </summary>
    /// <exception cref="InferenceException">InvalidArgument naming the problem.</exception>
    public static void ValidateInput(string name, TensorDataType dataType, ReadOnlySpan<long> shape, ModelSignature signature, int maxBatchSize, string modelName, long version)
    {
        ArgumentNullException.ThrowIfNull(signature);
        var spec = signature.FindInput(name)
            ?? throw Invalid($"unknown input '{name}' for {Model(modelName, version)}; it expects {NameList(signature.Inputs)}");
        if (dataType != spec.DataType)
        {
            throw Invalid($"input '{name}' has datatype {dataType.ToWireName()}, but {Model(modelName, version)} expects {spec.DataType.ToWireName()}");
        }

        if (!spec.Accepts(shape))
        {
            throw Invalid($"input '{name}' has shape [{TensorShape.Format(shape)}], but {Model(modelName, version)} expects [{spec.FormatShape()}]");
        }

        if (maxBatchSize > 0 && shape[0] > maxBatchSize)
        {
            throw Invalid($"input '{name}' has batch size {shape[0]}, more than the max_batch_size {maxBatchSize} of {Model(modelName, version)}");
        }
    }

    private static string Model(string modelName, long version) => $"model '{modelName}' version {version}";

    private static string NameList(IReadOnlyList<TensorSpec> specs) => string.Join(", ", specs.Select(s => $"'{s.Name}'"));

    private static InferenceException Invalid(string message) => new(InferenceErrorCode.InvalidArgument, message);
}
