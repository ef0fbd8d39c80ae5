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
    /// <summary>
    /// " (why)" when folders of the model named by digits are not versions (see
    /// <see cref="ModelEntry.IgnoredVersionFolders"/>), else empty: for the errors that say which versions a model has.
    /// </summary>
    public string IgnoredFoldersNote => Source.IgnoredVersionFolders is { } ignored ? $" ({ignored})" : "";

    /// <summary>Version labels of the configuration being served.</summary>
    public IReadOnlyDictionary<string, long> Labels => Config?.Labels ?? ImmutableDictionary<string, long>.Empty;

    // The versions newest first, built with Versions (the constructor, and `with` through the init accessor) and walked
    // on every request that names no version (enumerating the immutable sorted dictionary in reverse costs ~100 ns and
    // ~200 B each time). Only the order is kept: a version's state changes while it is served.
    private readonly ModelVersion[] _newestFirst = NewestFirst(Versions);

    /// <summary>The versions, by number.</summary>
    public ImmutableSortedDictionary<long, ModelVersion> Versions
    {
        get;
        init
        {
            field = value;
            _newestFirst = NewestFirst(value);
        }
    } = Versions;

    /// <summary>The highest ready version, or null.</summary>
    public ModelVersion? LatestReady
    {
        get
        {
            foreach (var version in _newestFirst)
            {
                if (version.State == ModelVersionState.Ready)
                {
                    return version;
                }
            }

            return null;
        }
    }

    private static ModelVersion[] NewestFirst(ImmutableSortedDictionary<long, ModelVersion> versions) => [.. versions.Values.Reverse()];
}
