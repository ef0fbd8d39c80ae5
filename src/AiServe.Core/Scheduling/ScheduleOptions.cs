namespace AiServe.Core.Scheduling;

/// <summary>What a request asks of the scheduler. A value type: asking costs no allocation.</summary>
/// <param name="Priority">1 is the highest; lower numbers are dequeued first. 0 means <see cref="DefaultPriority"/>.</param>
/// <param name="Timeout">The request's deadline, capped by the model's default timeout; counted from <paramref name="StartedAt"/>.</param>
/// <param name="StartedAt">
/// When the request's deadline started counting: a timestamp of the scheduler's <see cref="TimeProvider"/> taken when the
/// request arrived, so that reading, decoding and preprocessing it count against its deadline. 0 counts from when it is
/// scheduled.
/// </param>
public readonly record struct ScheduleOptions(int Priority = 0, TimeSpan? Timeout = null, long StartedAt = 0)
{
    /// <summary>The priority of requests that give none (or give 0).</summary>
    public const int DefaultPriority = 100;

    /// <summary>No priority, no deadline of its own, counted from when the request is scheduled.</summary>
    public static ScheduleOptions None => default;

    /// <summary>The priority level used for queueing.</summary>
    public int EffectivePriority => Priority <= 0 ? DefaultPriority : Priority;
}
