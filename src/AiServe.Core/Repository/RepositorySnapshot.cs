using System.Collections.Immutable;

namespace AiServe.Core.Repository;

/// <summary>An immutable picture of the model repository at one moment. Compared by fingerprints to find changes.</summary>
public sealed record RepositorySnapshot(ImmutableSortedDictionary<string, ModelEntry> Models)
{
    /// <summary>A repository with no models.</summary>
    public static RepositorySnapshot Empty { get; } = new(ImmutableSortedDictionary<string, ModelEntry>.Empty.WithComparers(StringComparer.Ordinal));
}

/// <summary>One model folder as found: its configuration (or why it is invalid) and its version folders.</summary>
/// <param name="Name">The folder's name, which is the model's name.</param>
/// <param name="Directory">The folder's full path.</param>
/// <param name="ConfigFingerprint">Changes whenever model.json changes (hash of its bytes; "none" when absent).</param>
/// <param name="Config">The validated configuration, or null when <paramref name="ConfigError"/> is set.</param>
/// <param name="ConfigError">Why model.json is invalid, or null.</param>
/// <param name="Versions">The integer version folders found.</param>
/// <param name="IgnoredVersionFolders">
/// Why folders named by digits are not versions (a leading zero, <c>0</c>, a number too large), or null when there are
/// none: they look like versions to whoever made them, so their being skipped is said where the model's versions are.
/// </param>
public sealed record ModelEntry(
    string Name,
    string Directory,
    string ConfigFingerprint,
    ModelConfig? Config,
    string? ConfigError,
    ImmutableSortedDictionary<long, VersionEntry> Versions,
    string? IgnoredVersionFolders = null);

/// <summary>One version folder.</summary>
/// <param name="Version">The folder's number.</param>
/// <param name="ModelPath">The model file's full path.</param>
/// <param name="Fingerprint">Changes whenever the model file changes (size and write time); "missing" when absent.</param>
/// <param name="Error">Why the version cannot be loaded before even trying (e.g. the file is missing), or null.</param>
public sealed record VersionEntry(long Version, string ModelPath, string Fingerprint, string? Error);
