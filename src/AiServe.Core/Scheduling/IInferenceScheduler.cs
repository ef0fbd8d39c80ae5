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
    /// Refuses at once, before any work is spent on a request, when the queue is already full: a cheap early check
    /// (<see cref="ScheduleAsync"/> still checks authoritatively).
    /// </summary>
    /// <exception cref="InferenceException">ResourceExhausted when the queue is full.</exception>
    void EnsureCapacity();

    /// <summary>
    /// Queues one validated request and completes with its outputs (in the order asked). Fails at once with
    /// ResourceExhausted when the queue is full; with DeadlineExceeded when the deadline passes (queued or running);
    /// with Cancelled when <paramref name="cancellationToken"/> fires.
    /// </summary>
    Task<IReadOnlyList<Tensor>> ScheduleAsync(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputs, ScheduleOptions options, CancellationToken cancellationToken);
}
