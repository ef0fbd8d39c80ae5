using AiServe.Core.Repository;

namespace AiServe.Core.Pipelines;

/// <summary>Builds the postprocessor a pipeline.json's "postprocess" section describes.</summary>
internal static class Postprocessors
{
    /// <exception cref="ModelConfigException">The section is invalid; the message names the field.</exception>
    public static IPostprocessor Create(PostprocessConfig? config) => config?.Type switch
    {
        null => new RawPostprocessor(),
        "classification" => new ClassificationPostprocessor(config),
        "regression" => new RegressionPostprocessor(config),
        "embedding" => new EmbeddingPostprocessor(config),
        _ => throw PipelineLoader.Invalid("postprocess.type",
            $"'{config.Type}' is not supported here; use classification, regression or embedding (recommendation is for kind recommender)"),
    };
}
