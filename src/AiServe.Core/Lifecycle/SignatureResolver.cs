using AiServe.Core.Inference;
using AiServe.Core.Repository;

namespace AiServe.Core.Lifecycle;

/// <summary>
/// Combines what model.json declares with what the model file says: absent declarations are read from the file,
/// present ones must agree with it (same datatype and rank; a fixed size in the file wins over -1). A tensor whose rank
/// the file does not give (<see cref="TensorSpec.UnknownRank"/>) takes the declared shape, and must be declared.
/// </summary>
internal static class SignatureResolver
{
    public static ModelSignature Resolve(ModelConfig config, ModelSignature fromFile)
    {
        var inputs = config.Inputs is null
            ? fromFile.Inputs
            : Merge(ModelConfigLoader.ToSpecs(config.Inputs)!, fromFile.Inputs, "input", requireAll: true, promises: false);
        var outputs = config.Outputs is null
            ? fromFile.Outputs
            : Merge(ModelConfigLoader.ToSpecs(config.Outputs)!, fromFile.Outputs, "output", requireAll: false, promises: true);

        // Before the batch check, whose message would blame a shape [] that the file does not really give.
        RequireKnownRank(inputs, "input");
        RequireKnownRank(outputs, "output");

        if (config.MaxBatchSize > 0)
        {
            foreach (var spec in inputs.Concat(outputs))
            {
                if (spec.Shape.Length == 0 || spec.Shape[0] != -1)
                {
                    throw new ModelConfigException(
                        $"max_batch_size is {config.MaxBatchSize} but '{spec.Name}' has shape [{spec.FormatShape()}] in the model file, with no variable batch dimension first");
                }
            }
        }

        return new ModelSignature(inputs, outputs);
    }

    private static void RequireKnownRank(IReadOnlyList<TensorSpec> specs, string kind)
    {
        foreach (var spec in specs)
        {
            if (spec.UnknownRank)
            {
                throw new ModelConfigException(
                    $"the backend cannot tell whether {kind} '{spec.Name}' is a scalar or a tensor of any rank (the model file declares it with no " +
                    $"dimensions, or with no shape at all); declare it with its shape in model.json's \"{kind}s\" ([] for a scalar)" +
                    (kind == "input" ? ", which then lists every input" : ", which then lists every output to serve"));
            }
        }
    }

    // promises: record on each spec what model.json adds to the file's shape (TensorSpec.Promise); for outputs, whose
    // answers are checked against it.
    private static TensorSpec[] Merge(IReadOnlyList<TensorSpec> declared, IReadOnlyList<TensorSpec> actual, string kind, bool requireAll, bool promises)
    {
        var result = new TensorSpec[declared.Count];
        for (var i = 0; i < declared.Count; i++)
        {
            var d = declared[i];
            var a = actual.FirstOrDefault(s => s.Name == d.Name)
                ?? throw new ModelConfigException(
                    $"model.json declares {kind} '{d.Name}', which the model file does not have (it has {string.Join(", ", actual.Select(s => $"'{s.Name}'"))})");
            if (a.DataType != d.DataType)
            {
                throw new ModelConfigException(
                    $"model.json declares {kind} '{d.Name}' as {d.DataType.ToWireName()}, the model file has {a.DataType.ToWireName()}");
            }

            if (a.UnknownRank)
            {
                // Nothing in the file to check the declaration against: it is the only word on the shape, and all of
                // it (the rank too) a promise the file does not make.
                result[i] = promises ? d with { Promise = d.Shape.ToArray() } : d;
                continue;
            }

            if (a.Shape.Length != d.Shape.Length)
            {
                throw new ModelConfigException(
                    $"model.json declares {kind} '{d.Name}' with shape [{d.FormatShape()}], the model file has [{a.FormatShape()}]");
            }

            var shape = new long[d.Shape.Length];
            var promise = new long[d.Shape.Length];
            var promised = false;
            for (var k = 0; k < shape.Length; k++)
            {
                if (d.Shape[k] >= 0 && a.Shape[k] >= 0 && d.Shape[k] != a.Shape[k])
                {
                    throw new ModelConfigException(
                        $"model.json declares {kind} '{d.Name}' with shape [{d.FormatShape()}], the model file has [{a.FormatShape()}]");
                }

                shape[k] = d.Shape[k] >= 0 ? d.Shape[k] : a.Shape[k];

                // A size model.json fixes where the file has -1: the file does not guarantee it.
                promise[k] = d.Shape[k] >= 0 && a.Shape[k] < 0 ? d.Shape[k] : -1;
                promised |= promise[k] >= 0;
            }

            result[i] = d with { Shape = shape, Promise = promises && promised ? promise : null };
        }

        if (requireAll)
        {
            foreach (var a in actual)
            {
                if (!declared.Any(d => d.Name == a.Name))
                {
                    throw new ModelConfigException($"the model file has {kind} '{a.Name}', which model.json does not declare");
                }
            }
        }

        return result;
    }
}
