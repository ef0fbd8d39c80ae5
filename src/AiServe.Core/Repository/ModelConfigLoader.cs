using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using AiServe.Core.Inference;

namespace AiServe.Core.Repository;

/// <summary>Parses and validates model.json. Unknown fields are errors, so a typo never silently does nothing.</summary>
public static partial class ModelConfigLoader
{
    /// <summary>The file name of a model's configuration inside its folder.</summary>
    public const string FileName = "model.json";

    private static readonly string[] OptimizationLevels = ["disable", "basic", "extended", "all"];

    /// <summary>The serializer settings of model.json (snake_case, strict, comments allowed).</summary>
    public static JsonSerializerOptions SerializerOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,

        // A field written twice is a mistake (which one was meant?), not "the last one wins".
        AllowDuplicateProperties = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary>Parses and validates the text of a model.json of the model in folder <paramref name="folderName"/>.</summary>
    /// <exception cref="ModelConfigException">The text is not valid JSON, has an unknown field, or a value is invalid.</exception>
    public static ModelConfig Parse(string json, string folderName)
    {
        ModelConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<ModelConfig>(json, SerializerOptions);
        }
        catch (JsonException ex)
        {
            throw new ModelConfigException($"{FileName}: {Describe(ex)}", ex);
        }

        if (config is null)
        {
            throw new ModelConfigException($"{FileName}: the file holds null, expected an object");
        }

        Validate(config, folderName);
        return config with { Name = config.Name ?? folderName };
    }

    /// <summary>The most concurrent runs one version may have (<c>instance_count</c>); far past any core count.</summary>
    public const int MaxInstanceCount = 256;

    /// <summary>The longest queue delay or default deadline, in milliseconds: the longest due time .NET timers take.</summary>
    public const long MaxWaitMilliseconds = uint.MaxValue - 1L;

    /// <summary>
    /// <see cref="MaxWaitMilliseconds"/> as a span (about 49 days): a deadline longer than this is none in practice, and
    /// no timer is armed for it (by the scheduler, or by the server for a request body's read).
    /// </summary>
    public static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(MaxWaitMilliseconds);

    /// <summary>Checks every value; throws with the field's JSON path and the problem.</summary>
    public static void Validate(ModelConfig config, string folderName)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Name is not null && config.Name != folderName)
        {
            Fail("name", $"is '{config.Name}' but the model's folder is '{folderName}'; they must be equal");
        }

        if (config.Platform is not null && config.Platform is not ("onnx" or "onnxruntime_onnx"))
        {
            Fail("platform", $"'{config.Platform}' is not supported; use \"onnx\"");
        }

        if (config.MaxBatchSize < 0)
        {
            Fail("max_batch_size", "must be 0 (no batching) or a positive number");
        }

        ValidateTensors(config.Inputs, "inputs", config.MaxBatchSize);
        ValidateTensors(config.Outputs, "outputs", config.MaxBatchSize);
        if (config.Outputs is { Count: 0 })
        {
            Fail("outputs", "lists no output; list at least one, or leave it out to take the model file's");
        }

        ValidatePolicy(config.VersionPolicy);

        if (config.Labels is not null)
        {
            foreach (var (label, version) in config.Labels)
            {
                if (!LabelPattern().IsMatch(label))
                {
                    Fail($"labels.{label}", "label names may only use letters, digits and '_'");
                }

                if (version < 1)
                {
                    Fail($"labels.{label}", $"points at version {version}; versions are positive integers");
                }
            }
        }

        if (config.Onnx is { } onnx)
        {
            if (onnx.IntraOpThreads < 0)
            {
                Fail("onnx.intra_op_threads", "must be 0 (let ONNX Runtime choose) or positive");
            }

            if (onnx.InterOpThreads < 0)
            {
                Fail("onnx.inter_op_threads", "must be 0 (let ONNX Runtime choose) or positive");
            }

            if (!OptimizationLevels.Contains(onnx.GraphOptimizationLevel))
            {
                Fail("onnx.graph_optimization_level", $"'{onnx.GraphOptimizationLevel}' is not one of {string.Join(", ", OptimizationLevels)}");
            }

            if (onnx.ExecutionProviders is null || onnx.ExecutionProviders.Count == 0)
            {
                Fail("onnx.execution_providers", "must name at least one provider, e.g. [\"cpu\"]");
            }
        }

        if (config.InstanceCount is < 1 or > MaxInstanceCount)
        {
            Fail("instance_count", $"must be between 1 and {MaxInstanceCount} (runs at once on one version)");
        }

        if (config.DynamicBatching is { } batching)
        {
            if (batching.MaxBatchSize < 0 || (config.MaxBatchSize > 0 && batching.MaxBatchSize > config.MaxBatchSize))
            {
                Fail("dynamic_batching.max_batch_size", $"must be between 0 (use the model's) and max_batch_size ({config.MaxBatchSize})");
            }

            if (batching.Enabled && batching.MaxBatchSize > 0 && config.MaxBatchSize == 0)
            {
                Fail("dynamic_batching.max_batch_size", "needs a model max_batch_size above 0 (a batch dimension) to merge requests");
            }

            if (batching.PreferredBatchSizes is null || batching.PreferredBatchSizes.Any(p => p < 1 || (config.MaxBatchSize > 0 && p > config.MaxBatchSize)))
            {
                Fail("dynamic_batching.preferred_batch_sizes", "sizes must be between 1 and max_batch_size");
            }

            if (batching.PreferredBatchSizes.Count > 0 && config.MaxBatchSize == 0)
            {
                Fail("dynamic_batching.preferred_batch_sizes", "needs a model max_batch_size above 0 (a batch dimension): without one no batch is formed");
            }

            if (batching.MaxQueueDelayUs is < 0 or > MaxWaitMilliseconds * 1000)
            {
                Fail("dynamic_batching.max_queue_delay_us", $"must be between 0 and {MaxWaitMilliseconds * 1000} (about 49 days, the longest wait a timer takes)");
            }

            if (batching.MaxQueueSize < 0)
            {
                Fail("dynamic_batching.max_queue_size", "must be 0 (default) or positive");
            }

            if (batching.DefaultTimeoutMs is < 0 or > MaxWaitMilliseconds)
            {
                Fail("dynamic_batching.default_timeout_ms", $"must be between 0 (no deadline) and {MaxWaitMilliseconds} (about 49 days, the longest wait a timer takes)");
            }
        }

        if (config.Warmup is not null)
        {
            for (var i = 0; i < config.Warmup.Count; i++)
            {
                var sample = config.Warmup[i];
                if (sample is null)
                {
                    Fail($"warmup[{i}]", "is null");
                }

                if (sample.Inputs is null || sample.Inputs.Count == 0)
                {
                    Fail($"warmup[{i}].inputs", "must give a value for each input");
                }

                foreach (var (name, input) in sample.Inputs)
                {
                    if (input is null)
                    {
                        Fail($"warmup[{i}].inputs.{name}", "is null");
                    }

                    if (input.Shape is null || input.Shape.Any(d => d < 0))
                    {
                        Fail($"warmup[{i}].inputs.{name}.shape", "must be a concrete shape (no negative dimensions)");
                    }

                    if (input.Data.ValueKind != JsonValueKind.Array)
                    {
                        Fail($"warmup[{i}].inputs.{name}.data", "must be an array");
                    }
                }
            }
        }
    }

    /// <summary>Reads the declared tensors as specs (datatypes already validated).</summary>
    public static IReadOnlyList<TensorSpec>? ToSpecs(IReadOnlyList<TensorConfig>? tensors) =>
        tensors?.Select(t =>
        {
            var known = TensorDataTypes.TryParse(t.Datatype, out var type);
            System.Diagnostics.Debug.Assert(known, "datatypes are validated before specs are made");
            return new TensorSpec(t.Name, type, t.Shape);
        }).ToArray();

    private static void ValidateTensors(IReadOnlyList<TensorConfig>? tensors, string field, int maxBatchSize)
    {
        if (tensors is null)
        {
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tensors.Count; i++)
        {
            var t = tensors[i];
            var path = $"{field}[{i}]";
            if (t is null)
            {
                Fail(path, "is null");
            }

            if (string.IsNullOrEmpty(t.Name))
            {
                Fail($"{path}.name", "is required");
            }

            if (!names.Add(t.Name))
            {
                Fail($"{path}.name", $"'{t.Name}' is declared twice");
            }

            if (!TensorDataTypes.TryParse(t.Datatype, out _))
            {
                Fail($"{path}.datatype", $"'{t.Datatype}' is not a datatype; use one of {string.Join(", ", TensorDataTypes.All.Select(d => d.ToWireName()))}");
            }

            if (t.Shape is null)
            {
                Fail($"{path}.shape", "is required");
            }

            if (t.Shape.Any(d => d < -1))
            {
                Fail($"{path}.shape", "dimensions are sizes, or -1 for a variable size");
            }

            if (maxBatchSize > 0 && (t.Shape.Length == 0 || t.Shape[0] != -1))
            {
                Fail($"{path}.shape", $"must start with -1 (the batch dimension) because max_batch_size is {maxBatchSize}");
            }
        }
    }

    private static void ValidatePolicy(VersionPolicyConfig? policy)
    {
        if (policy is null)
        {
            return;
        }

        var given = (policy.Latest is null ? 0 : 1) + (policy.All is null ? 0 : 1) + (policy.Specific is null ? 0 : 1);
        if (given != 1)
        {
            Fail("version_policy", "must have exactly one of \"latest\", \"all\", \"specific\"");
        }

        if (policy.Latest is { NumVersions: < 1 })
        {
            Fail("version_policy.latest.num_versions", "must be at least 1");
        }

        if (policy.All is { } all && (all.ValueKind != JsonValueKind.Object || all.EnumerateObject().Any()))
        {
            Fail("version_policy.all", "must be an empty object {}");
        }

        if (policy.Specific is { } specific)
        {
            if (specific.Versions is null || specific.Versions.Count == 0)
            {
                Fail("version_policy.specific.versions", "must list at least one version");
            }

            if (specific.Versions.Any(v => v < 1))
            {
                Fail("version_policy.specific.versions", "versions are positive integers");
            }
        }
    }

    [DoesNotReturn]
    private static void Fail(string path, string problem) => throw new ModelConfigException($"{FileName}: '{path}' {problem}");

    internal static string Describe(JsonException ex)
    {
        // System.Text.Json names the member in its message for unknown fields and type mismatches; add the path.
        var path = ex.Path is { Length: > 2 } p ? p[2..] : ex.Path;
        var message = ex.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        return string.IsNullOrEmpty(path) ? message : $"at '{path}': {message}";
    }

    [GeneratedRegex("^[a-zA-Z0-9_]+$")]
    private static partial Regex LabelPattern();
}
