using AiServe.Core.Scheduling;

namespace AiServe.Core.Tests.Scheduling;

public sealed class ScheduleOptionsTests
{
    [Fact]
    public void For_NoPriorityNoTimeout_IsTheSharedNone()
    {
        Assert.Same(ScheduleOptions.None, ScheduleOptions.For(0, null));
    }

    [Theory]
    [InlineData(3, null)]
    [InlineData(0, 250)]
    [InlineData(1, 0)]
    public void For_PriorityOrTimeout_KeepsThem(int priority, int? timeoutMs)
    {
        var timeout = timeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;

        var options = ScheduleOptions.For(priority, timeout);

        Assert.NotSame(ScheduleOptions.None, options);
        Assert.Equal(priority, options.Priority);
        Assert.Equal(timeout, options.Timeout);
    }
}
