using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>Turns the rows of a model's outputs into one answer each. Immutable and thread-safe.</summary>
internal interface IPostprocessor
{
    /// <summary>What each answer holds.</summary>
    PipelineAnswers Answers { get; }

    /// <summary>The outputs read (empty: whatever the model returns).</summary>
    IReadOnlyList<string> OutputNames { get; }

    /// <summary>One answer per row of the outputs.</summary>
    JsonObject[] Process(IReadOnlyList<Tensor> outputs);
}
