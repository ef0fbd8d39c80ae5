using System.Collections.Immutable;
using AiServe.Core.Repository;

namespace AiServe.Core.Lifecycle;

/// <summary>An immutable view of one model: its configuration, versions and labels, as the manager last published it.</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Source">The repository entry it was built from.</param>
/// <param name="Config">The configuration being served (null when the model never had a valid one).</param>
/// <param name="ConfigError">Why the current model.json could not be applied, or null.</param>
/// <param name="Versions">The versions, by number.</param>
public sealed record ServedModel(
    string Name,
    ModelEntry Source,
    ModelConfig? Config,
    string? ConfigError,
    ImmutableSortedDictionary<long, ModelVersion> Versions)
{
    /// <summary>Version labels of the configuration being served.</summary>
    public IReadOnlyDictionary<string, long> Labels => Config?.Labels ?? ImmutableDictionary<string, long>.Empty;

    /// <summary>The highest ready version, or null.</summary>
    public ModelVersion? LatestReady =>
        Versions.Values.Reverse().FirstOrDefault(v => v.State == ModelVersionState.Ready);
}
