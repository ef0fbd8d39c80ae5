namespace AiServe.Core.Pipelines;

/// <summary>What a pipeline's answers hold (pipeline.json's <c>postprocess.type</c>).</summary>
public enum PipelineAnswers
{
    /// <summary>No postprocess section: each output's row, by output name.</summary>
    Outputs,

    /// <summary><c>{"label", "score", "top_k"}</c> per record.</summary>
    Classification,

    /// <summary><c>{"value"}</c> per record (<c>{"values"}</c> for a model with several output columns).</summary>
    Regression,

    /// <summary><c>{"embedding"}</c> per record.</summary>
    Embedding,

    /// <summary><c>{"user", "item", "rating"}</c> for a user-item pair; <c>{"user", "items"}</c> for a top-k request.</summary>
    Recommendation,
}
