namespace AiServe.Core.Scheduling;

/// <summary>What a request asks of the scheduler.</summary>
/// <param name="Priority">1 is the highest; lower numbers are dequeued first. 0 means <see cref="DefaultPriority"/>.</param>
/// <param name="Timeout">The request's deadline, counted from when it is scheduled; capped by the model's default timeout.</param>
public sealed record ScheduleOptions(int Priority = 0, TimeSpan? Timeout = null)
{
    /// <summary>The priority of requests that give none (or give 0).</summary>
    public const int DefaultPriority = 100;

    /// <summary>No priority, no deadline.</summary>
    public static ScheduleOptions None { get; } = new();

    /// <summary>
    /// The options of a request that asks for <paramref name="priority"/> (0: none) and <paramref name="timeout"/>
    /// (null: none): the shared <see cref="None"/> when it asks for neither, as most requests do.
    /// </summary>
    public static ScheduleOptions For(int priority, TimeSpan? timeout) =>
        priority == 0 && timeout is null ? None : new ScheduleOptions(priority, timeout);

    /// <summary>The priority level used for queueing.</summary>
    public int EffectivePriority => Priority <= 0 ? DefaultPriority : Priority;
}
