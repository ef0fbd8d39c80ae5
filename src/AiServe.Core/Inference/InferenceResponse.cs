namespace AiServe.Core.Inference;

/// <summary>The result of one inference: the model and version that ran, and the output tensors.</summary>
public sealed record InferenceResponse(string ModelName, long ModelVersion, string? Id, IReadOnlyList<Tensor> Outputs);
