using Microsoft.Extensions.Time.Testing;

namespace AiServe.Tests.Common;

/// <summary>
/// Virtual time that counts the timers made on it, so that a test can wait until code on another thread has armed
/// one (a batcher's worker waiting out a queue delay, a request's deadline) before it moves time on.
/// </summary>
public sealed class TimerCountingTimeProvider : FakeTimeProvider
{
    private int _timersCreated;

    public int TimersCreated => Volatile.Read(ref _timersCreated);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timersCreated);
        return base.CreateTimer(callback, state, dueTime, period);
    }
}
