using AiServe.Core.Inference;
using AiServe.Core.Repository;

namespace AiServe.Core.Lifecycle;

/// <summary>
/// Runs a freshly loaded version once per warm-up sample before it reports ready, so the first real request does
/// not pay for lazy initialisation. Without samples in model.json, one sample of zeros (batch 1) is used. An output
/// shaped otherwise than the version publishes fails the sample, so a wrong declaration is caught before any request.
/// </summary>
internal static class Warmup
{
    public static void Run(IModelInstance instance, ModelSignature signature, ModelConfig config, string modelName, long version)
    {
        var samples = config.Warmup is { Count: > 0 } given
            ? given.Select(s => (s.Name, Inputs: (Func<List<Tensor>>)(() => FromConfig(s, signature)))).ToList()
            : [("zeros", () => Zeros(signature))];
        foreach (var (name, build) in samples)
        {
            try
            {
                RunChecked(instance, new InferenceRequest(build()), signature, config, modelName, version);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new ModelConfigException($"warm-up sample '{name}' failed: {ex.Message}", ex);
            }
        }
    }

    /// <summary>A request run as <see cref="ModelVersion.InferAsync"/> runs one, straight on the instance: validated, run, its answer checked.</summary>
    private static IReadOnlyList<Tensor> RunChecked(IModelInstance instance, InferenceRequest request, ModelSignature signature, ModelConfig config, string modelName, long version)
    {
        InferenceRequestValidator.Validate(request, signature, config.MaxBatchSize, modelName, version);
        var outputs = instance.Run(request.Inputs, request.RequestedOutputs ?? signature.OutputNames, CancellationToken.None);
        signature.CheckAnswer(outputs, modelName, version);
        return outputs;
    }

    /// <summary>
    /// Runs the pipeline's own example record through preprocessing, the model and postprocessing, so that a
    /// pipeline.json that does not fit the model (an input or output it names that the model lacks, a width, image
    /// size or label count the model does not have) makes the version Unavailable with the reason, instead of a
    /// Ready version whose every request fails.
    /// </summary>
    public static void RunPipeline(Pipelines.IPipeline pipeline, IModelInstance instance, ModelSignature signature, ModelConfig config, string modelName, long version)
    {
        try
        {
            var record = System.Text.Json.JsonSerializer.SerializeToElement(pipeline.ExampleRecord());
            IReadOnlyList<Tensor> outputs = [];
            if (ModelVersion.PipelineRequest(pipeline, pipeline.Preprocess([record])) is { } request)
            {
                outputs = RunChecked(instance, request, signature, config, modelName, version);
            }

            pipeline.Postprocess(outputs, [record]);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new ModelConfigException($"pipeline.json does not fit the model: its example record failed: {ex.Message}", ex);
        }
    }

    private static List<Tensor> FromConfig(WarmupSampleConfig sample, ModelSignature signature)
    {
        var tensors = new List<Tensor>();
        foreach (var (name, value) in sample.Inputs)
        {
            var spec = signature.FindInput(name)
                ?? throw new ModelConfigException($"warm-up sample '{sample.Name}' names input '{name}', which the model does not have");
            tensors.Add(TensorJson.Decode(value.Data, name, spec.DataType, value.Shape));
        }

        return tensors;
    }

    private static List<Tensor> Zeros(ModelSignature signature)
    {
        var tensors = new List<Tensor>();
        foreach (var spec in signature.Inputs)
        {
            var shape = spec.Shape.Select(d => d < 0 ? 1L : d).ToArray();
            var count = TensorShape.ElementCount(shape);
            tensors.Add(spec.DataType == TensorDataType.Bytes
                ? Tensor.FromElements(spec.Name, shape, Enumerable.Repeat(ReadOnlyMemory<byte>.Empty, (int)count).ToArray())
                : Tensor.FromBytes(spec.Name, spec.DataType, shape, new byte[count * spec.DataType.ElementSize()]));
        }

        return tensors;
    }
}
