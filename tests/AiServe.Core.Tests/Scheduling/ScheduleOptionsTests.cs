using AiServe.Core.Scheduling;

namespace AiServe.Core.Tests.Scheduling;

public sealed class ScheduleOptionsTests
{
    [Fact]
    public void None_AsksForNothing()
    {
        var none = ScheduleOptions.None;

        Assert.Equal(ScheduleOptions.DefaultPriority, none.EffectivePriority);
        Assert.Null(none.Timeout);
        Assert.Equal(0, none.StartedAt);
    }

    [Theory]
    [InlineData(0, ScheduleOptions.DefaultPriority)]
    [InlineData(-3, ScheduleOptions.DefaultPriority)]
    [InlineData(1, 1)]
    [InlineData(250, 250)]
    public void EffectivePriority_ZeroOrLessIsTheDefault(int priority, int effective)
    {
        Assert.Equal(effective, new ScheduleOptions(priority).EffectivePriority);
    }
}
