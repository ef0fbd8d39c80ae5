using AiServe.Core.Repository;

namespace AiServe.Core.Inference;

/// <summary>Loads model files into runnable instances. Implemented by a runtime (ONNX Runtime), used by the lifecycle.</summary>
public interface IModelBackend
{
    /// <summary>
    /// Loads one version. Blocking and possibly slow; called off the request path. Throws
    /// <see cref="InferenceException"/> (or any exception) with a readable reason when the file cannot be loaded.
    /// </summary>
    IModelInstance Load(ModelLoadRequest request);
}

/// <summary>What the backend needs to load one version.</summary>
/// <param name="ModelName">The model's name.</param>
/// <param name="Version">The version number.</param>
/// <param name="ModelPath">Full path of the model file.</param>
/// <param name="Config">The model's validated configuration.</param>
public sealed record ModelLoadRequest(string ModelName, long Version, string ModelPath, ModelConfig Config);
