using AiServe.Core.Inference;

namespace AiServe.Core.Scheduling;

/// <summary>
/// Queues the requests of one model version and runs them on its instance, merging them into batches where the
/// model allows. Thread-safe. Owned by the version; disposed after the version's last request.
/// </summary>
public interface IInferenceScheduler : IAsyncDisposable
{
    /// <summary>Requests waiting in the queue now.</summary>
    int QueuedRequests { get; }

    /// <summary>
    /// A cheap early check, made before any work is spent on a request (<see cref="ScheduleAsync"/> still checks
    /// authoritatively). It throws nothing, so that refusing under overload costs no exception.
    /// </summary>
    /// <returns>Null when the queue has room; otherwise the ResourceExhausted error to answer with.</returns>
    InferenceException? CheckCapacity();

    /// <summary>
    /// Queues one validated request and completes with its outputs (in the order asked). Fails at once with
    /// ResourceExhausted when the queue is full; with DeadlineExceeded when the deadline passes (queued or running);
    /// with Cancelled when <paramref name="cancellationToken"/> fires.
    /// </summary>
    Task<IReadOnlyList<Tensor>> ScheduleAsync(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputs, ScheduleOptions options, CancellationToken cancellationToken);
}
