using System.Text.Json;
using System.Text.Json.Serialization;
using AiServe.Core.Repository;

namespace AiServe.Core.Pipelines;

/// <summary>Reads a version folder's pipeline.json into an immutable <see cref="IPipeline"/>.</summary>
public static class PipelineLoader
{
    /// <summary>The file name of a pipeline inside a version folder.</summary>
    public const string FileName = "pipeline.json";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,

        // A field written twice is a mistake (which one was meant?), not "the last one wins".
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Loads <c>pipeline.json</c> (and the files it names) from <paramref name="versionDirectory"/>; null when the
    /// folder has no pipeline.json.
    /// </summary>
    /// <exception cref="ModelConfigException">The file or a file it names is missing, malformed or invalid; the message names the field.</exception>
    public static IPipeline? Load(string versionDirectory)
    {
        ArgumentNullException.ThrowIfNull(versionDirectory);
        var path = Path.Combine(versionDirectory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var json = File.ReadAllText(path);
        try
        {
            var kind = JsonSerializer.Deserialize<JsonElement>(json, Options) is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String
                ? k.GetString()
                : throw Invalid("kind", "is required: tabular, image, text or recommender");
            return kind switch
            {
                "tabular" => new TabularPipeline(Parse<TabularPipelineConfig>(json)),
                "image" => new ImagePipeline(Parse<ImagePipelineConfig>(json)),
                "text" => new TextPipeline(Parse<TextPipelineConfig>(json), versionDirectory),
                "recommender" => new RecommenderPipeline(Parse<RecommenderPipelineConfig>(json), versionDirectory),
                _ => throw Invalid("kind", $"'{kind}' is not supported; use tabular, image, text or recommender"),
            };
        }
        catch (JsonException ex)
        {
            throw new ModelConfigException($"{FileName}: {ModelConfigLoader.Describe(ex)}", ex);
        }
    }

    /// <summary>The error for an invalid field of pipeline.json.</summary>
    internal static ModelConfigException Invalid(string path, string problem) => new($"{FileName}: '{path}' {problem}");

    /// <summary>Reads a file the pipeline names, relative to the version folder (never outside it).</summary>
    internal static string ReadFile(string versionDirectory, string field, string relative)
    {
        var full = Path.GetFullPath(Path.Combine(versionDirectory, relative));
        var root = Path.GetFullPath(versionDirectory) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            throw Invalid(field, $"'{relative}' is outside the version folder");
        }

        if (!File.Exists(full))
        {
            throw Invalid(field, $"names '{relative}', which does not exist in the version folder");
        }

        return File.ReadAllText(full);
    }

    /// <summary>The lines of a file the pipeline names (line i is id i; a final newline ends the last line, not a new one).</summary>
    internal static string[] ReadLines(string versionDirectory, string field, string relative)
    {
        var lines = ReadFile(versionDirectory, field, relative).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return [.. lines];
    }

    private static T Parse<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw Invalid("$", "holds null, expected an object");
}
