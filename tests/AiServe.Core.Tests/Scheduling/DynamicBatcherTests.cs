using System.Collections.Concurrent;
using AiServe.Core.Inference;
using AiServe.Core.Scheduling;
using AiServe.Tests.Common;

namespace AiServe.Core.Tests.Scheduling;

public sealed class DynamicBatcherTests : IAsyncDisposable
{
    private readonly TimerCountingTimeProvider _time = new();
    private readonly GatedInstance _instance = new();
    private DynamicBatcher? _batcher;

    public async ValueTask DisposeAsync()
    {
        _instance.OpenAll();
        if (_batcher is not null)
        {
            await _batcher.DisposeAsync();
        }
    }

    [Fact]
    public async Task Schedule_RequestsQueuedWhileBusy_MergedIntoOneRunAndSplitBack()
    {
        var batcher = Create(Options(maxBatch: 8));
        var first = Schedule(batcher, Rows(1, 100f));
        await _instance.WaitForRunsAsync(1);
        var second = Schedule(batcher, Rows(2, 200f));
        var third = Schedule(batcher, Rows(1, 300f));

        _instance.OpenAll();
        var results = await Task.WhenAll(first, second, third);

        Assert.Equal([1L, 3], _instance.BatchRows);
        Assert.Equal([101f, 102f], results[0][0].AsSpan<float>().ToArray());
        Assert.Equal([2L, 2], results[1][0].Shape);
        Assert.Equal([201f, 202f, 203f, 204f], results[1][0].AsSpan<float>().ToArray());
        Assert.Equal([301f, 302f], results[2][0].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task Schedule_DifferentInnerShapes_NeverMerged()
    {
        var batcher = Create(Options(maxBatch: 8));
        var first = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        var narrow = Schedule(batcher, Rows(1, 10f));
        var wide = Schedule(batcher, Tensor.FromValues("x", TensorDataType.Fp32, [1, 3], new[] { 1f, 2f, 3f }.AsSpan()));

        _instance.OpenAll();
        await Task.WhenAll(first, narrow, wide);

        var wideResult = await wide;
        Assert.Equal([1L, 1, 1], _instance.BatchRows);
        Assert.Equal([2f, 3f, 4f], wideResult[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task Schedule_MoreRowsThanMaxBatch_SplitIntoBatchesWithinLimit()
    {
        var batcher = Create(Options(maxBatch: 4));
        var blocker = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        var queued = Enumerable.Range(0, 5).Select(i => Schedule(batcher, Rows(2, i * 10f))).ToArray();

        _instance.OpenAll();
        await Task.WhenAll(queued.Append(blocker));

        Assert.All(_instance.BatchRows, rows => Assert.True(rows <= 4));
        Assert.Equal(11, _instance.BatchRows.Sum());
        Assert.Equal([4L, 4, 2], _instance.BatchRows.Skip(1));
    }

    [Fact]
    public async Task Schedule_BatchingDisabled_EachRequestRunsAlone()
    {
        var batcher = Create(Options(maxBatch: 8) with { Batching = false });
        var blocker = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        var a = Schedule(batcher, Rows(1, 0f));
        var b = Schedule(batcher, Rows(1, 0f));

        _instance.OpenAll();
        await Task.WhenAll(blocker, a, b);

        Assert.Equal([1L, 1, 1], _instance.BatchRows);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // queued behind a run on the caller's thread
    public async Task Schedule_HigherPriority_RunsFirst(bool inline)
    {
        var batcher = Create(Options(maxBatch: 8) with { Batching = false, RunInlineWhenIdle = inline });
        var blocker = Task.Run(() => Schedule(batcher, Rows(1, 0f)));
        await _instance.WaitForRunsAsync(1);
        var low = Schedule(batcher, Rows(1, 1000f), new ScheduleOptions(Priority: 5));
        var normal = Schedule(batcher, Rows(1, 2000f));
        var high = Schedule(batcher, Rows(1, 3000f), new ScheduleOptions(Priority: 1));

        _instance.OpenAll();
        await Task.WhenAll(blocker, low, normal, high);

        Assert.Equal([0f, 3000f, 1000f, 2000f], _instance.FirstValues);
    }

    [Fact]
    public async Task Schedule_QueueFull_RefusedAtOnceWithResourceExhausted()
    {
        var batcher = Create(Options(maxBatch: 8) with { MaxQueueSize = 2 });
        var running = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        var queued = new[] { Schedule(batcher, Rows(1, 0f)), Schedule(batcher, Rows(1, 0f)) };

        var refused = Schedule(batcher, Rows(1, 0f));

        Assert.True(refused.IsFaulted);
        var ex = await Assert.ThrowsAsync<InferenceException>(() => refused);
        Assert.Equal(InferenceErrorCode.ResourceExhausted, ex.Code);
        Assert.Contains("queue of m is full (2 requests waiting)", ex.Message, StringComparison.Ordinal);
        _instance.OpenAll();
        await Task.WhenAll(queued.Append(running));
    }

    [Fact]
    public async Task CheckCapacity_QueueFull_ResourceExhaustedOtherwiseNull()
    {
        var batcher = Create(Options(maxBatch: 8) with { MaxQueueSize = 1 });
        var running = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        Assert.Null(batcher.CheckCapacity());
        var queued = Schedule(batcher, Rows(1, 0f));

        var error = batcher.CheckCapacity();

        Assert.NotNull(error);
        Assert.Equal(InferenceErrorCode.ResourceExhausted, error.Code);
        Assert.Contains("queue of m is full (1 requests waiting)", error.Message, StringComparison.Ordinal);
        _instance.OpenAll();
        await Task.WhenAll(running, queued);
    }

    [Fact]
    public async Task Schedule_DeadlinePassesWhileQueued_DeadlineExceededAndNeverRuns()
    {
        var batcher = Create(Options(maxBatch: 8) with { Batching = false });
        var blocker = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        var late = Schedule(batcher, Rows(1, 5f), new ScheduleOptions(Timeout: TimeSpan.FromMilliseconds(10)));

        _time.Advance(TimeSpan.FromMilliseconds(11));

        var ex = await Assert.ThrowsAsync<InferenceException>(() => late);
        Assert.Equal(InferenceErrorCode.DeadlineExceeded, ex.Code);
        Assert.Contains("while it was queued", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, batcher.QueuedRequests);
        _instance.OpenAll();
        await blocker;
        Assert.Equal([0f], _instance.FirstValues);
    }

    [Fact]
    public async Task Schedule_DeadlinePassesWhileRunning_DeadlineExceededAndRunCancelled()
    {
        var batcher = Create(Options(maxBatch: 8));
        var request = Schedule(batcher, Rows(1, 0f), new ScheduleOptions(Timeout: TimeSpan.FromMilliseconds(10)));
        await _instance.WaitForRunsAsync(1);

        _time.Advance(TimeSpan.FromMilliseconds(11));

        var ex = await Assert.ThrowsAsync<InferenceException>(() => request);
        Assert.Equal(InferenceErrorCode.DeadlineExceeded, ex.Code);
        Assert.Contains("while it was running", ex.Message, StringComparison.Ordinal);
        Assert.True(await _instance.CancelledRuns.Reader.ReadAsync());
    }

    [Fact]
    public async Task Schedule_StartedAtInThePast_DeadlineCountsFromThenAndNamesTheWholeTimeout()
    {
        var batcher = Create(Options(maxBatch: 8) with { Batching = false });
        var blocker = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        var arrived = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(7)); // spent reading and decoding the request
        var late = Schedule(batcher, Rows(1, 5f), new ScheduleOptions(Timeout: TimeSpan.FromMilliseconds(10), StartedAt: arrived));

        _time.Advance(TimeSpan.FromMilliseconds(4)); // 11 ms after arrival, 4 ms after scheduling

        // (The real-time bound turns a deadline counted from scheduling into a TimeoutException, not a hang.)
        var ex = await Assert.ThrowsAsync<InferenceException>(() => late.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(InferenceErrorCode.DeadlineExceeded, ex.Code);
        Assert.Contains("deadline of 10 ms passed while it was queued", ex.Message, StringComparison.Ordinal);
        _instance.OpenAll();
        await blocker;
    }

    [Fact]
    public async Task Schedule_TimeoutBelowAMillisecond_NamedAsGiven()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8));
        var arrived = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var ex = await Assert.ThrowsAsync<InferenceException>(() => Schedule(batcher, Rows(1, 0f), new ScheduleOptions(Timeout: TimeSpan.FromTicks(1), StartedAt: arrived)));

        Assert.Contains("deadline of 0.0001 ms passed", ex.Message, StringComparison.Ordinal); // not "of 0 ms"
    }

    [Fact]
    public async Task Schedule_StartedAtLongerAgoThanTheTimeout_FailsAtOnceWithoutQueueingOrRunning()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8) with { DefaultTimeout = TimeSpan.FromMilliseconds(50) });
        var arrived = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(60));

        // The model's default timeout counts from the request's arrival too.
        var ex = await Assert.ThrowsAsync<InferenceException>(() => Schedule(batcher, Rows(1, 0f), new ScheduleOptions(StartedAt: arrived)));

        Assert.Equal(InferenceErrorCode.DeadlineExceeded, ex.Code);
        Assert.Contains("deadline of 50 ms passed before it was queued", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_instance.BatchRows);
        Assert.Equal(0, _time.TimersCreated);
    }

    [Fact]
    public async Task Schedule_StartedAtWithTimeLeft_RunsAndAnswers()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8));
        var arrived = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(9));

        var result = await Schedule(batcher, Rows(1, 1f), new ScheduleOptions(Timeout: TimeSpan.FromMilliseconds(10), StartedAt: arrived));

        Assert.Equal([2f, 3f], result[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task Schedule_DeadlineLongerThanATimerTakes_RunsWithoutOne()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8));

        var result = await Schedule(batcher, Rows(1, 1f), new ScheduleOptions(Timeout: TimeSpan.FromDays(365 * 30)));

        Assert.Equal([2f, 3f], result[0].AsSpan<float>().ToArray());
        Assert.Equal(0, _time.TimersCreated);
    }

    [Fact]
    public async Task Schedule_ModelDefaultTimeout_CapsLongerRequestTimeout()
    {
        var batcher = Create(Options(maxBatch: 8) with { DefaultTimeout = TimeSpan.FromMilliseconds(5) });
        var request = Schedule(batcher, Rows(1, 0f), new ScheduleOptions(Timeout: TimeSpan.FromSeconds(10)));
        await _instance.WaitForRunsAsync(1);

        _time.Advance(TimeSpan.FromMilliseconds(6));

        var ex = await Assert.ThrowsAsync<InferenceException>(() => request);
        Assert.Contains("deadline of 5 ms", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedule_CallerCancelsWhileQueued_CancelledAndNeverRuns()
    {
        var batcher = Create(Options(maxBatch: 8) with { Batching = false });
        var blocker = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        using var cts = new CancellationTokenSource();
        var cancelled = batcher.ScheduleAsync([Rows(1, 7f)], ["y"], ScheduleOptions.None, cts.Token);

        await cts.CancelAsync();

        var ex = await Assert.ThrowsAsync<InferenceException>(() => cancelled);
        Assert.Equal(InferenceErrorCode.Cancelled, ex.Code);
        _instance.OpenAll();
        await blocker;
        await _batcher!.DisposeAsync();
        Assert.DoesNotContain(7f, _instance.FirstValues);
    }

    [Fact]
    public async Task Schedule_QueueDelay_WaitsForMoreRequestsThenRunsOneBatch()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8) with { MaxQueueDelay = TimeSpan.FromMilliseconds(50) });

        var first = Schedule(batcher, Rows(1, 0f));
        var second = Schedule(batcher, Rows(1, 10f));
        await AdvanceUntil(() => first.IsCompleted);
        await Task.WhenAll(first, second);

        Assert.Equal([2L], _instance.BatchRows);
    }

    [Fact]
    public async Task Schedule_PreferredBatchSizeReached_RunsWithoutWaitingForDelay()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8) with { MaxQueueDelay = TimeSpan.FromHours(1), PreferredBatchSizes = [2] });

        var first = Schedule(batcher, Rows(1, 0f));
        var second = Schedule(batcher, Rows(1, 10f));
        await Task.WhenAll(first, second);

        Assert.Equal([2L], _instance.BatchRows);
    }

    [Fact]
    public async Task Schedule_ArrivalsCompletePreferredSizeWhileWorkerWaits_RunsWithoutWaitingForDelay()
    {
        var (batcher, first) = await StartWaitingAsync([4], Rows(1, 0f));

        var rest = Enumerable.Range(1, 3).Select(i => Schedule(batcher, Rows(1, i * 10f))).ToArray();
        await Task.WhenAll([first, .. rest]).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([4L], _instance.BatchRows);
    }

    [Fact]
    public async Task Schedule_UnmergeableArrivalWhileWorkerWaits_DoesNotCountTowardsTheBatch()
    {
        var (batcher, first) = await StartWaitingAsync([4], Rows(1, 0f));

        var other = Schedule(batcher, Tensor.FromValues("x", TensorDataType.Fp32, [1, 3], new[] { 1f, 2f, 3f }.AsSpan()));
        var more = Enumerable.Range(1, 2).Select(i => Schedule(batcher, Rows(1, i * 10f))).ToArray();
        Assert.True(await Eventually.TrueAsync(() => _time.TimersCreated > 1)); // 4 rows queued wake it; 3 mergeable are not a batch of 4

        Assert.Empty(_instance.BatchRows);
        var last = Schedule(batcher, Rows(1, 30f));
        await Task.WhenAll([first, .. more, last]).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([4L], _instance.BatchRows);
        Assert.False(other.IsCompleted);
    }

    [Fact]
    public async Task Schedule_HigherPriorityArrivalOfAPreferredSizeWhileWorkerWaits_RunsWithoutWaitingForDelay()
    {
        var (batcher, low) = await StartWaitingAsync([2, 8], Rows(3, 0f), new ScheduleOptions(Priority: 5)); // 3 rows wait for 8

        // Two rows that cannot join the low-priority batch (other inner shape) but are a preferred size on their own.
        var high = Schedule(batcher, Tensor.FromValues("x", TensorDataType.Fp32, [2, 3], new[] { 1f, 2f, 3f, 4f, 5f, 6f }.AsSpan()), new ScheduleOptions(Priority: 1));
        await high.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([2L], _instance.BatchRows);
        Assert.False(low.IsCompleted);
    }

    [Fact]
    public async Task Schedule_PreserveOrdering_LaterResultWaitsForEarlierOne()
    {
        var batcher = Create(Options(maxBatch: 8) with { Batching = false, InstanceCount = 2, PreserveOrdering = true });
        _instance.Hold = v => v == 1f;
        var slow = Schedule(batcher, Rows(1, 1f));
        await _instance.WaitForRunsAsync(1);
        var fast = Schedule(batcher, Rows(1, 2f));
        await _instance.WaitForRunsAsync(2);
        await _instance.WaitForFinishedAsync(1);

        Assert.False(fast.IsCompleted);
        _instance.OpenAll();
        await Task.WhenAll(slow, fast);
    }

    [Fact]
    public async Task Schedule_WithoutPreserveOrdering_LaterResultDoesNotWait()
    {
        var batcher = Create(Options(maxBatch: 8) with { Batching = false, InstanceCount = 2 });
        _instance.Hold = v => v == 1f;
        var slow = Schedule(batcher, Rows(1, 1f));
        await _instance.WaitForRunsAsync(1);

        var fast = await Schedule(batcher, Rows(1, 2f));

        Assert.False(slow.IsCompleted);
        Assert.Equal([3f, 4f], fast[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task Dispose_QueuedRequests_FailUnavailable()
    {
        var batcher = Create(Options(maxBatch: 8) with { Batching = false });
        var running = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        var queued = Schedule(batcher, Rows(1, 0f));

        var disposing = batcher.DisposeAsync().AsTask();
        var ex = await Assert.ThrowsAsync<InferenceException>(() => queued);
        _instance.OpenAll();
        await disposing;
        await running;

        Assert.Equal(InferenceErrorCode.Unavailable, ex.Code);
    }

    [Fact]
    public async Task Schedule_RunFails_EveryRequestOfBatchGetsError()
    {
        _instance.Fail = true;
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8));

        var ex = await Assert.ThrowsAsync<InferenceException>(() => Schedule(batcher, Rows(1, 0f)));

        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
    }

    [Fact]
    public async Task Schedule_MergedRunRefusesOneRequestsInput_OnlyThatRequestFails()
    {
        var batcher = Create(Options(maxBatch: 8));
        _instance.Poison = -1f;
        var blocker = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        var good = Schedule(batcher, Rows(1, 100f));
        var bad = Schedule(batcher, Rows(1, -1f));
        var goodPair = Schedule(batcher, Rows(2, 200f));

        _instance.OpenAll();
        await blocker;
        var ex = await Assert.ThrowsAsync<InferenceException>(() => bad);

        Assert.Equal(InferenceErrorCode.InvalidArgument, ex.Code);
        var results = await Task.WhenAll(good, goodPair);
        Assert.Equal([101f, 102f], results[0][0].AsSpan<float>().ToArray());
        Assert.Equal([201f, 202f, 203f, 204f], results[1][0].AsSpan<float>().ToArray());

        // The merged run of four rows failed; then each request ran by itself.
        Assert.Equal([1L, 4, 1, 1, 2], _instance.BatchRows);
    }

    [Fact]
    public async Task Schedule_MergedRunFailsForEveryRequest_EachGetsItsOwnError()
    {
        var batcher = Create(Options(maxBatch: 8));
        var blocker = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        _instance.Fail = true;
        var first = Schedule(batcher, Rows(1, 100f));
        var second = Schedule(batcher, Rows(1, 200f));

        _instance.OpenAll();
        await Assert.ThrowsAsync<InferenceException>(() => blocker);
        Assert.Equal(InferenceErrorCode.InvalidArgument, (await Assert.ThrowsAsync<InferenceException>(() => first)).Code);
        Assert.Equal(InferenceErrorCode.InvalidArgument, (await Assert.ThrowsAsync<InferenceException>(() => second)).Code);
        Assert.Equal([1L, 2, 1, 1], _instance.BatchRows);
    }

    [Fact]
    public async Task Schedule_RunCancelledThatNobodyCancelled_RequestsFailInsteadOfHanging()
    {
        // A run that throws OperationCanceledException although no request gave up (a runtime's own timeout, say)
        // is a failed run: its requests get an error, on each path a run takes.
        _instance.CancelsOnItsOwn = v => v is 100f or 300f;
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true });
        var blocker = Task.Run(() => Schedule(batcher, Rows(1, 0f)));
        await _instance.WaitForRunsAsync(1);
        var merged = new[] { Schedule(batcher, Rows(1, 100f)), Schedule(batcher, Rows(1, 200f)) };

        _instance.OpenAll();
        await blocker;
        foreach (var request in merged)
        {
            var ex = await Assert.ThrowsAsync<InferenceException>(() => request.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(InferenceErrorCode.Internal, ex.Code);
        }

        // Inline on the caller: the queue is empty again.
        var inline = await Assert.ThrowsAsync<InferenceException>(() => Schedule(batcher, Rows(1, 300f)).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(InferenceErrorCode.Internal, inline.Code);
        Assert.Contains("failed to run", inline.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedule_RunOfOneRequestAloneCancelledThatNobodyCancelled_OnlyItFails()
    {
        // After a merged run refused its input, each request runs alone; one of those runs cancelled on its own.
        _instance.CancelsOnItsOwn = v => v == 500f;
        _instance.Poison = -1f;
        var batcher = Create(Options(maxBatch: 8));
        var blocker = Schedule(batcher, Rows(1, 0f));
        await _instance.WaitForRunsAsync(1);
        var good = Schedule(batcher, Rows(1, 400f));
        var bad = Schedule(batcher, Rows(1, -1f));
        var cancelled = Schedule(batcher, Rows(1, 500f));
        var last = Schedule(batcher, Rows(1, 600f));

        _instance.OpenAll();
        await blocker;

        var answers = await Task.WhenAll(good, last).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([401f, 402f], answers[0][0].AsSpan<float>().ToArray());
        Assert.Equal([601f, 602f], answers[1][0].AsSpan<float>().ToArray());
        Assert.Equal(InferenceErrorCode.InvalidArgument, (await Assert.ThrowsAsync<InferenceException>(() => bad)).Code);
        Assert.Equal(InferenceErrorCode.Internal, (await Assert.ThrowsAsync<InferenceException>(() => cancelled)).Code);
        Assert.Equal([1L, 4, 1, 1, 1, 1], _instance.BatchRows);
    }

    [Fact]
    public async Task Schedule_InlineWhenIdle_RunsOnCallerAndIsDoneOnReturn()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true });
        var caller = Environment.CurrentManagedThreadId;

        var result = Schedule(batcher, Rows(1, 5f));

        Assert.True(result.IsCompletedSuccessfully);
        Assert.Equal([caller], _instance.RunThreads);
        var outputs = await result;
        Assert.Equal([6f, 7f], outputs[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task Schedule_InlineWhenIdleButInstanceBusy_QueuesAndBatchesBehindIt()
    {
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true });
        var first = Task.Run(() => Schedule(batcher, Rows(1, 0f)));
        await _instance.WaitForRunsAsync(1);

        var second = Schedule(batcher, Rows(1, 10f));
        var third = Schedule(batcher, Rows(2, 20f));

        Assert.False(second.IsCompleted);
        Assert.Equal(2, batcher.QueuedRequests);
        _instance.OpenAll();
        await Task.WhenAll(first, second, third);
        Assert.Equal([1L, 3], _instance.BatchRows);
    }

    [Fact]
    public async Task Schedule_InlineWhenIdleWithQueueDelay_DoesNotRunInline()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true, MaxQueueDelay = TimeSpan.FromMilliseconds(1) });

        var result = Schedule(batcher, Rows(1, 0f));
        await AdvanceUntil(() => result.IsCompleted);
        await result;

        Assert.DoesNotContain(Environment.CurrentManagedThreadId, _instance.RunThreads);
    }

    [Fact]
    public async Task Schedule_QueueDelayRunsOutWithNothingJoiningThreeTimesInARow_LaterLoneRequestsRunWithoutWaitingAndInline()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true, MaxQueueDelay = TimeSpan.FromHours(1) });
        await WaitOutFutileDelaysAsync(batcher, DynamicBatcher.FutileWaitsBeforeSkipping, 0f);

        // Virtual time stands still from here: a request that waited for the delay would never complete.
        await Schedule(batcher, Rows(1, 10f)).WaitAsync(TimeSpan.FromSeconds(30));

        // Once the worker has let go of the instance, a lone request runs on the caller's thread.
        var caller = Environment.CurrentManagedThreadId;
        Assert.True(await Eventually.TrueAsync(() => Schedule(batcher, Rows(1, 20f)).IsCompletedSuccessfully && _instance.RunThreads[^1] == caller));
        Assert.DoesNotContain(2L, _instance.BatchRows);
    }

    [Fact]
    public async Task Schedule_QueueDelayRunsOutWithNothingJoiningTwiceThenArrivalsComeTogether_StreakStartsAgain()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true, MaxQueueDelay = TimeSpan.FromHours(1) });
        await WaitOutFutileDelaysAsync(batcher, DynamicBatcher.FutileWaitsBeforeSkipping - 1, 0f);
        var pair = new[] { Schedule(batcher, Rows(1, 10f)), Schedule(batcher, Rows(1, 20f)) }; // the second finds the first queued
        _time.Advance(TimeSpan.FromHours(1));
        await Task.WhenAll(pair).WaitAsync(TimeSpan.FromSeconds(30));
        await WaitOutFutileDelaysAsync(batcher, DynamicBatcher.FutileWaitsBeforeSkipping - 1, 30f);

        // Two futile waits since the pair: the delay still applies.
        await WaitOutFutileDelaysAsync(batcher, 1, 40f);
        Assert.Equal(2L, _instance.BatchRows[DynamicBatcher.FutileWaitsBeforeSkipping - 1]);
    }

    [Fact]
    public async Task Schedule_DelaySkipped_ArrivalThatFindsAnotherQueued_BringsTheDelayBack()
    {
        _instance.Hold = v => v >= 100f; // only the run that keeps the model busy waits at the gate
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true, MaxQueueDelay = TimeSpan.FromHours(1) });
        await WaitOutFutileDelaysAsync(batcher, DynamicBatcher.FutileWaitsBeforeSkipping, 0f);
        var busy = Task.Run(() => Schedule(batcher, Rows(1, 100f))); // inline or on the worker: either way it holds the instance
        await _instance.WaitForRunsAsync(DynamicBatcher.FutileWaitsBeforeSkipping + 1);

        var second = Schedule(batcher, Rows(1, 10f));
        var third = Schedule(batcher, Rows(1, 20f)); // finds the second one queued
        var timers = _time.TimersCreated;
        _instance.OpenAll();
        await busy;

        Assert.True(await Eventually.TrueAsync(() => _time.TimersCreated > timers)); // the worker waits out the delay again
        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromHours(1));
        await Task.WhenAll(second, third).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2L, _instance.BatchRows[^1]);
    }

    [Fact]
    public async Task Schedule_BatchingDisabledWithAQueueDelay_IdleRequestRunsInline()
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8) with { Batching = false, RunInlineWhenIdle = true, MaxQueueDelay = TimeSpan.FromHours(1) });

        var result = Schedule(batcher, Rows(1, 5f));

        Assert.True(result.IsCompletedSuccessfully);
        Assert.Equal([Environment.CurrentManagedThreadId], _instance.RunThreads);
        await result;
    }

    [Fact]
    public async Task Schedule_InlineRunPassesDeadline_DeadlineExceededAndRunCancelled()
    {
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true });
        var request = Task.Run(() => Schedule(batcher, Rows(1, 0f), new ScheduleOptions(Timeout: TimeSpan.FromMilliseconds(10))));
        await _instance.WaitForRunsAsync(1);

        _time.Advance(TimeSpan.FromMilliseconds(11));

        var ex = await Assert.ThrowsAsync<InferenceException>(() => request);
        Assert.Equal(InferenceErrorCode.DeadlineExceeded, ex.Code);
        Assert.True(await _instance.CancelledRuns.Reader.ReadAsync());
    }

    [Fact]
    public async Task Schedule_QueuedBehindInlineRun_RequestThatCannotMergeWithHeadStillCompletes()
    {
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true });
        var first = Task.Run(() => Schedule(batcher, Rows(1, 0f)));
        await _instance.WaitForRunsAsync(1);
        var wide = Schedule(batcher, Tensor.FromValues("x", TensorDataType.Fp32, [1, 3], new[] { 1f, 2f, 3f }.AsSpan()));
        var narrow = Schedule(batcher, Rows(1, 10f));

        _instance.OpenAll();
        var results = await Task.WhenAll(first, wide, narrow);

        Assert.Equal([1L, 1, 1], _instance.BatchRows);
        Assert.Equal([0f, 1f, 10f], _instance.FirstValues);
        Assert.Equal([2f, 3f, 4f], results[1][0].AsSpan<float>().ToArray());
        Assert.Equal([11f, 12f], results[2][0].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task Schedule_InlineRunsHoldEveryPermit_OthersQueueWithoutBlockingAndAllComplete()
    {
        var batcher = Create(Options(maxBatch: 8) with { Batching = false, InstanceCount = 2, RunInlineWhenIdle = true });
        var a = Task.Run(() => Schedule(batcher, Rows(1, 1f)));
        await _instance.WaitForRunsAsync(1);
        var b = Task.Run(() => Schedule(batcher, Rows(1, 2f)));
        await _instance.WaitForRunsAsync(2);

        var c = Schedule(batcher, Rows(1, 3f));
        var d = Schedule(batcher, Rows(1, 4f));

        Assert.False(c.IsCompleted);
        Assert.False(d.IsCompleted);
        Assert.Equal(2, batcher.QueuedRequests);
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, _instance.RunThreads);
        _instance.OpenAll();
        var results = await Task.WhenAll(a, b, c, d);
        Assert.Equal([5f, 6f], results[3][0].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task Dispose_WhileInlineRunGoes_WaitsForIt()
    {
        var batcher = Create(Options(maxBatch: 8) with { RunInlineWhenIdle = true });
        var running = Task.Run(() => Schedule(batcher, Rows(1, 0f)));
        await _instance.WaitForRunsAsync(1);

        var disposing = batcher.DisposeAsync().AsTask();
        await Task.Yield();

        Assert.False(disposing.IsCompleted);
        _instance.OpenAll();
        await disposing;
        var result = await running;
        Assert.Equal([1f, 2f], result[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public void FromConfig_Defaults_BatchingOnForBatchDimension()
    {
        var on = BatchingOptions.FromConfig(new AiServe.Core.Repository.ModelConfig { MaxBatchSize = 16 });
        var off = BatchingOptions.FromConfig(new AiServe.Core.Repository.ModelConfig());

        Assert.True(on.Batching);
        Assert.True(on.RunInlineWhenIdle);
        Assert.Equal(16, on.MaxBatchSize);
        Assert.Equal(BatchingOptions.DefaultMaxQueueSize, on.MaxQueueSize);
        Assert.False(off.Batching);
        Assert.Equal(1, off.InstanceCount);
    }

    private DynamicBatcher Create(BatchingOptions options) => _batcher = new DynamicBatcher(_instance, options, _time, "m");

    private static BatchingOptions Options(int maxBatch) =>
        new(true, maxBatch, [], TimeSpan.Zero, 100, false, null, 1);

    private static Task<IReadOnlyList<Tensor>> Schedule(DynamicBatcher batcher, Tensor x, ScheduleOptions? options = null) =>
        batcher.ScheduleAsync([x], ["y"], options ?? ScheduleOptions.None, CancellationToken.None);

    /// <summary>A [rows, 2] tensor counting up from <paramref name="start"/>.</summary>
    private static Tensor Rows(int rows, float start) =>
        Tensor.FromValues("x", TensorDataType.Fp32, [rows, 2], Enumerable.Range(0, rows * 2).Select(i => start + i).ToArray().AsSpan());

    /// <summary>
    /// Lone requests, one after another, each of which waits out the whole queue delay (an hour of virtual time, moved
    /// only once the worker's timer is set) with nothing joining it.
    /// </summary>
    private async Task WaitOutFutileDelaysAsync(DynamicBatcher batcher, int count, float start)
    {
        for (var i = 0; i < count; i++)
        {
            var timers = _time.TimersCreated;
            var lone = Schedule(batcher, Rows(1, start + i));
            Assert.True(await Eventually.TrueAsync(() => _time.TimersCreated > timers), "the worker waits for the delay");
            Assert.False(lone.IsCompleted);
            _time.Advance(TimeSpan.FromHours(1));
            await lone.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private async Task AdvanceUntil(Func<bool> done)
    {
        // Virtual time moves only here; the real-time bound just stops a broken batcher from hanging the test run.
        for (var i = 0; i < 2000 && !done(); i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(5));
            await Task.Delay(5);
        }
    }

    /// <summary>
    /// A batcher (limit 8, queue delay of an hour, the given preferred sizes, the model's gate open) whose worker waits
    /// out the delay for a fuller batch than <paramref name="first"/>.
    /// </summary>
    private async Task<(DynamicBatcher Batcher, Task<IReadOnlyList<Tensor>> First)> StartWaitingAsync(int[] preferred, Tensor first, ScheduleOptions? options = null)
    {
        _instance.OpenAll();
        var batcher = Create(Options(maxBatch: 8) with { MaxQueueDelay = TimeSpan.FromHours(1), PreferredBatchSizes = preferred });
        var task = Schedule(batcher, first, options);
        Assert.True(await Eventually.TrueAsync(() => _time.TimersCreated > 0));
        return (batcher, task);
    }

    /// <summary>A model y = x + 1 whose runs wait at a gate until the test opens it.</summary>
    private sealed class GatedInstance : IModelInstance
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentQueue<long> _rows = new();
        private readonly ConcurrentQueue<float> _first = new();
        private readonly ConcurrentQueue<int> _threads = new();
        private int _started;
        private int _finished;

        public ModelSignature Signature { get; } = new([new TensorSpec("x", TensorDataType.Fp32, [-1, -1])], [new TensorSpec("y", TensorDataType.Fp32, [-1, -1])]);

        public long[] BatchRows => _rows.ToArray();

        public IReadOnlyList<float> FirstValues => _first.ToArray();

        public int[] RunThreads => _threads.ToArray();

        public System.Threading.Channels.Channel<bool> CancelledRuns { get; } = System.Threading.Channels.Channel.CreateUnbounded<bool>();

        /// <summary>Which runs (by first input value) wait at the gate; all by default.</summary>
        public Func<float, bool> Hold { get; set; } = _ => true;

        public bool Fail { get; set; }

        /// <summary>A value that makes a run holding it fail with InvalidArgument, as a bad id fails a real model.</summary>
        public float? Poison { get; set; }

        /// <summary>
        /// Which runs (by first input value) throw OperationCanceledException although their token was not cancelled,
        /// after the poison check; none by default.
        /// </summary>
        public Func<float, bool> CancelsOnItsOwn { get; set; } = _ => false;

        public void OpenAll() => _open.TrySetResult();

        public async Task WaitForRunsAsync(int count)
        {
            for (var i = 0; i < 4000 && Volatile.Read(ref _started) < count; i++)
            {
                await Task.Delay(1);
            }

            Assert.True(Volatile.Read(ref _started) >= count, $"expected {count} runs to start");
        }

        public async Task WaitForFinishedAsync(int count)
        {
            for (var i = 0; i < 4000 && Volatile.Read(ref _finished) < count; i++)
            {
                await Task.Delay(1);
            }
        }

        public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
        {
            var x = inputs[0];
            var values = x.AsSpan<float>().ToArray();
            _rows.Enqueue(x.ShapeSpan[0]);
            _threads.Enqueue(Environment.CurrentManagedThreadId);
            _first.Enqueue(values[0]);
            Interlocked.Increment(ref _started);
            try
            {
                if (Hold(values[0]))
                {
                    try
                    {
                        _open.Task.Wait(cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        CancelledRuns.Writer.TryWrite(true);
                        throw;
                    }
                }

                if (Fail || (Poison is { } poison && values.Contains(poison)))
                {
                    throw new InferenceException(InferenceErrorCode.InvalidArgument, "bad input");
                }

                if (CancelsOnItsOwn(values[0]))
                {
                    throw new OperationCanceledException("cancelled inside the runtime");
                }

                return [Tensor.FromValues("y", TensorDataType.Fp32, x.Shape.ToArray(), values.Select(v => v + 1).ToArray().AsSpan())];
            }
            finally
            {
                Interlocked.Increment(ref _finished);
            }
        }

        public void Dispose()
        {
        }
    }
}
