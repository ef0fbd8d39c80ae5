using AiServe.Core.Repository;

namespace AiServe.Core.Scheduling;

/// <summary>The validated scheduling settings of one model version (from model.json's <c>dynamic_batching</c> and <c>instance_count</c>).</summary>
/// <param name="Batching">Whether requests are merged into batches.</param>
/// <param name="MaxBatchSize">The largest merged batch, in rows.</param>
/// <param name="PreferredBatchSizes">Batch sizes that are run at once without waiting for the queue delay.</param>
/// <param name="MaxQueueDelay">
/// The longest the oldest request may wait for others to join (skipped while waits keep gathering nothing: see
/// <see cref="DynamicBatcher.FutileWaitsBeforeSkipping"/>).
/// </param>
/// <param name="MaxQueueSize">The most requests waiting; more are refused at once.</param>
/// <param name="PreserveOrdering">Answer in arrival order.</param>
/// <param name="DefaultTimeout">The deadline of requests that give none, and the cap of those that do.</param>
/// <param name="InstanceCount">How many runs may execute at once.</param>
/// <param name="RunInlineWhenIdle">
/// Run a request on the caller's thread when nothing is queued, an instance is free and no queue delay is in force
/// (so nothing could join its batch anyway): saves the hand-offs to a worker and back.
/// </param>
public sealed record BatchingOptions(
    bool Batching,
    int MaxBatchSize,
    IReadOnlyList<int> PreferredBatchSizes,
    TimeSpan MaxQueueDelay,
    int MaxQueueSize,
    bool PreserveOrdering,
    TimeSpan? DefaultTimeout,
    int InstanceCount,
    bool RunInlineWhenIdle = false)
{
    /// <summary>The queue size used when model.json gives none.</summary>
    public const int DefaultMaxQueueSize = 1024;

    /// <summary>The settings a model.json asks for, with defaults filled in.</summary>
    public static BatchingOptions FromConfig(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var dynamic = config.DynamicBatching ?? new DynamicBatchingConfig();
        var batching = config.MaxBatchSize > 0 && dynamic.Enabled;
        return new BatchingOptions(
            batching,
            batching ? (dynamic.MaxBatchSize > 0 ? dynamic.MaxBatchSize : config.MaxBatchSize) : 0,
            dynamic.PreferredBatchSizes,
            TimeSpan.FromMicroseconds(dynamic.MaxQueueDelayUs),
            dynamic.MaxQueueSize > 0 ? dynamic.MaxQueueSize : DefaultMaxQueueSize,
            dynamic.PreserveOrdering,
            dynamic.DefaultTimeoutMs > 0 ? TimeSpan.FromMilliseconds(dynamic.DefaultTimeoutMs) : null,
            config.InstanceCount,
            RunInlineWhenIdle: true);
    }
}
