using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiServe.Core.Repository;

/// <summary>
/// A model's <c>model.json</c>, as written by the user (snake_case JSON). Every field is optional; what is absent
/// is read from the model file or defaulted. <see cref="ModelConfigLoader"/> parses and validates it.
/// Documented field by field in <c>docs/model-config.md</c>.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The model's name; defaults to its folder's name and must equal it when given.</summary>
    public string? Name { get; init; }

    /// <summary>The runtime; only <c>onnx</c> is supported.</summary>
    public string? Platform { get; init; }

    /// <summary>Free text shown in metadata and Swagger.</summary>
    public string? Description { get; init; }

    /// <summary>What the model does; informs pipelines and documentation.</summary>
    public ModelTask? Task { get; init; }

    /// <summary>
    /// The largest batch (size of dimension 0) one request may carry; 0 means the model has no batch dimension.
    /// </summary>
    public int MaxBatchSize { get; init; }

    /// <summary>The inputs; read from the model file when absent, checked against it when given.</summary>
    public IReadOnlyList<TensorConfig>? Inputs { get; init; }

    /// <summary>The outputs served; all of the model file's when absent, a checked subset when given.</summary>
    public IReadOnlyList<TensorConfig>? Outputs { get; init; }

    /// <summary>Which version folders are served; <c>latest</c> 1 when absent.</summary>
    public VersionPolicyConfig? VersionPolicy { get; init; }

    /// <summary>Version labels such as <c>"stable": 1</c>.</summary>
    public IReadOnlyDictionary<string, long>? Labels { get; init; }

    /// <summary>ONNX Runtime session options.</summary>
    public OnnxConfig? Onnx { get; init; }

    /// <summary>How many runs of one version may execute at once (default 1; each run uses the shared thread pool).</summary>
    public int InstanceCount { get; init; } = 1;

    /// <summary>The request queue and dynamic batcher; on by default when <see cref="MaxBatchSize"/> is positive.</summary>
    public DynamicBatchingConfig? DynamicBatching { get; init; }

    /// <summary>Sample requests run once per version before it reports ready; zeros when absent.</summary>
    public IReadOnlyList<WarmupSampleConfig>? Warmup { get; init; }
}

/// <summary>What a model does.</summary>
[JsonConverter(typeof(ModelTaskConverter))]
public enum ModelTask
{
    /// <summary>Predicts a class.</summary>
    [JsonStringEnumMemberName("classification")]
    Classification,
    /// <summary>Predicts a number.</summary>
    [JsonStringEnumMemberName("regression")]
    Regression,
    /// <summary>Maps input to a vector.</summary>
    [JsonStringEnumMemberName("embedding")]
    Embedding,
    /// <summary>Scores or ranks items for a user.</summary>
    [JsonStringEnumMemberName("recommendation")]
    Recommendation,
    /// <summary>Anything else.</summary>
    [JsonStringEnumMemberName("other")]
    Other,
}

/// <summary>Reads <see cref="ModelTask"/> from its snake_case name only; numbers are not task names.</summary>
public sealed class ModelTaskConverter : JsonStringEnumConverter<ModelTask>
{
    /// <summary>Creates the converter.</summary>
    public ModelTaskConverter()
        : base(namingPolicy: null, allowIntegerValues: false)
    {
    }
}

/// <summary>One input or output as declared in model.json.</summary>
public sealed record TensorConfig
{
    /// <summary>The tensor's name in the model file.</summary>
    public string Name { get; init; } = "";

    /// <summary>The protocol datatype, e.g. <c>FP32</c>.</summary>
    public string Datatype { get; init; } = "";

    /// <summary>The full shape including the batch dimension; -1 marks a variable dimension. Required.</summary>
    [JsonRequired]
    public long[] Shape { get; init; } = [];
}

/// <summary>Exactly one of <see cref="Latest"/>, <see cref="All"/>, <see cref="Specific"/>.</summary>
public sealed record VersionPolicyConfig
{
    /// <summary>Serve the highest <c>num_versions</c> versions.</summary>
    public LatestPolicyConfig? Latest { get; init; }

    /// <summary>Serve every version folder.</summary>
    public JsonElement? All { get; init; }

    /// <summary>Serve the listed versions.</summary>
    public SpecificPolicyConfig? Specific { get; init; }
}

/// <summary>The <c>latest</c> policy.</summary>
public sealed record LatestPolicyConfig
{
    /// <summary>How many of the highest versions to serve (at least 1).</summary>
    public int NumVersions { get; init; } = 1;
}

/// <summary>The <c>specific</c> policy.</summary>
public sealed record SpecificPolicyConfig
{
    /// <summary>The versions to serve.</summary>
    public IReadOnlyList<long> Versions { get; init; } = [];
}

/// <summary>ONNX Runtime session options for every version of a model.</summary>
public sealed record OnnxConfig
{
    /// <summary>Threads inside one operator; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads across independent operators; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; init; }

    /// <summary><c>disable</c>, <c>basic</c>, <c>extended</c> or <c>all</c> (default).</summary>
    public string GraphOptimizationLevel { get; init; } = "all";

    /// <summary>Execution providers in order of preference; <c>["cpu"]</c> by default.</summary>
    public IReadOnlyList<string> ExecutionProviders { get; init; } = ["cpu"];
}

/// <summary>The dynamic batcher and queue of each version (see docs/model-config.md).</summary>
public sealed record DynamicBatchingConfig
{
    /// <summary>Merge requests into batches; false runs each request alone (the queue, deadlines and priorities stay).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The largest merged batch; 0 means the model's <c>max_batch_size</c>.</summary>
    public int MaxBatchSize { get; init; }

    /// <summary>Batch sizes to prefer: a batch that reaches one is run without waiting for more.</summary>
    public IReadOnlyList<int> PreferredBatchSizes { get; init; } = [];

    /// <summary>How long the oldest queued request may wait for others to join its batch, in microseconds.</summary>
    public long MaxQueueDelayUs { get; init; }

    /// <summary>The most requests that may wait in the queue; more are refused at once (429). 0 means 1024.</summary>
    public int MaxQueueSize { get; init; }

    /// <summary>Answer requests in the order they arrived, even when batches finish out of order.</summary>
    public bool PreserveOrdering { get; init; }

    /// <summary>The deadline of a request that sets none, in milliseconds; it also caps requested timeouts. 0 means none.</summary>
    public long DefaultTimeoutMs { get; init; }
}

/// <summary>One warm-up sample: a value for each input.</summary>
public sealed record WarmupSampleConfig
{
    /// <summary>A name for logs.</summary>
    public string Name { get; init; } = "warmup";

    /// <summary>Input name to value.</summary>
    public IReadOnlyDictionary<string, WarmupInputConfig> Inputs { get; init; } = new Dictionary<string, WarmupInputConfig>();
}

/// <summary>The value of one input in a warm-up sample.</summary>
public sealed record WarmupInputConfig
{
    /// <summary>The concrete shape. Required.</summary>
    [JsonRequired]
    public long[] Shape { get; init; } = [];

    /// <summary>The elements, flat or nested, as in the V2 protocol's <c>data</c>.</summary>
    public JsonElement Data { get; init; }
}
