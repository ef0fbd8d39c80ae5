using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;

namespace AiServe.Core.Repository;

/// <summary>
/// Reads a repository laid out as <c>&lt;root&gt;/&lt;model&gt;/model.json</c> and
/// <c>&lt;root&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c>. Folders whose names start with '.' or '_' are ignored,
/// and so are non-integer folders inside a model (samples, data).
/// </summary>
public sealed class FileSystemModelSource : IModelSource
{
    /// <summary>The model file's name inside a version folder.</summary>
    public const string ModelFileName = "model.onnx";

    private const string VersionFolderRule = "a version folder is named by a whole number from 1 to 9223372036854775807 without leading zeros";

    private readonly string _root;

    /// <summary>Creates a source over <paramref name="root"/>.</summary>
    public FileSystemModelSource(string root)
    {
        _root = Path.GetFullPath(root);
    }

    /// <inheritdoc />
    public string Description => _root;

    /// <inheritdoc />
    public RepositorySnapshot Scan()
    {
        if (!Directory.Exists(_root))
        {
            throw new DirectoryNotFoundException($"model repository '{_root}' does not exist");
        }

        var models = ImmutableSortedDictionary.CreateBuilder<string, ModelEntry>(StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(_root))
        {
            var name = Path.GetFileName(dir);
            if (name.StartsWith('.') || name.StartsWith('_'))
            {
                continue;
            }

            models[name] = ScanModel(name, dir);
        }

        return new RepositorySnapshot(models.ToImmutable());
    }

    /// <summary>
    /// Changes when any file of the version folder changes (the model, its pipeline.json, vocabularies, id maps):
    /// each file's name, size and write time.
    /// </summary>
    private static string Fingerprint(string versionDir)
    {
        var parts = Directory.EnumerateFiles(versionDir, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f =>
            {
                var info = new FileInfo(f);
                return $"{Path.GetRelativePath(versionDir, f)}:{info.Length}:{info.LastWriteTimeUtc.Ticks}";
            });
        return string.Join('|', parts);
    }

    private static ModelEntry ScanModel(string name, string dir)
    {
        var versions = ImmutableSortedDictionary.CreateBuilder<long, VersionEntry>();
        var notVersions = new List<string>();
        ModelConfig? config = null;
        string? error = null;
        var fingerprint = "none";
        try
        {
            foreach (var versionDir in Directory.EnumerateDirectories(dir))
            {
                var folder = Path.GetFileName(versionDir);
                // Only canonical numbers are versions: "01" beside "1" would otherwise be two folders for one version.
                if (!long.TryParse(folder, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1
                    || version.ToString(CultureInfo.InvariantCulture) != folder)
                {
                    // Other names (samples, data) are no versions and need no word; digits are meant as one.
                    if (folder.Length > 0 && folder.All(char.IsAsciiDigit))
                    {
                        notVersions.Add(folder);
                    }

                    continue;
                }

                var file = Path.Combine(versionDir, ModelFileName);
                versions[version] = File.Exists(file)
                    ? new VersionEntry(version, file, Fingerprint(versionDir), null)
                    : new VersionEntry(version, file, "missing", $"version folder has no {ModelFileName}");
            }

            var configPath = Path.Combine(dir, ModelConfigLoader.FileName);
            if (File.Exists(configPath))
            {
                var bytes = File.ReadAllBytes(configPath);
                fingerprint = Convert.ToHexString(SHA256.HashData(bytes));
                config = ModelConfigLoader.Parse(System.Text.Encoding.UTF8.GetString(bytes), name);
            }
            else
            {
                config = new ModelConfig { Name = name };
            }
        }
        catch (ModelConfigException ex)
        {
            error = ex.Message;
        }
        catch (IOException ex)
        {
            error = $"cannot read the model folder: {ex.Message}";
        }
        catch (UnauthorizedAccessException ex)
        {
            error = $"cannot read the model folder: {ex.Message}";
        }

        return new ModelEntry(name, dir, fingerprint, error is null ? config : null, error, versions.ToImmutable(), NotVersions(notVersions));
    }

    private static string? NotVersions(List<string> folders)
    {
        if (folders.Count == 0)
        {
            return null;
        }

        folders.Sort(StringComparer.Ordinal);
        var names = string.Join(", ", folders.Select(f => $"'{f}'"));
        return folders.Count == 1 ? $"folder {names} is not a version: {VersionFolderRule}" : $"folders {names} are not versions: {VersionFolderRule}";
    }
}
