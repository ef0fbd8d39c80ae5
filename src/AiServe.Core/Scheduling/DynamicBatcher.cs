using AiServe.Core.Inference;

namespace AiServe.Core.Scheduling;

/// <summary>
/// The scheduler of one model version: a bounded priority queue in front of <c>instance_count</c> workers that
/// share the version's <see cref="IModelInstance"/> (an ONNX Runtime session is thread-safe, so workers are
/// concurrent runs of one session rather than copies of the weights).
/// <para>
/// Threading: the queue is guarded by <c>_lock</c>, held only to add, remove or pick requests, never while a model
/// runs. Each request owns a <see cref="WorkItem"/> whose completion is claimed once (result, error, deadline or
/// cancellation: whichever comes first wins); late results of a request that already failed are dropped.
/// </para>
/// </summary>
public sealed class DynamicBatcher : IInferenceScheduler
{
    private readonly IModelInstance _instance;
    private readonly BatchingOptions _options;
    private readonly TimeProvider _time;
    private readonly string _owner;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<int, LinkedList<WorkItem>> _queues = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly OrderedCompleter? _completer;
    private readonly Task[] _workers;

    // Completed once the scheduler is stopped and every instance permit is back (no run is left anywhere).
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Whether a caller that finds an instance free runs batches itself (see ScheduleAsync).
    private readonly bool _callerRuns;
    private readonly int _instances;
    private long _sequence;
    private int _queued;

    // Instance permits not held (guarded by _lock): whoever runs the model holds one, a worker or a caller. A holder
    // looks at the queue under the lock before it gives its permit back, so a request queued while every permit is
    // held is always seen by a holder.
    private int _free;
    private bool _stopped;

    /// <summary>
    /// How many batches a caller that runs batches itself may run once its own request is done, while requests are
    /// still queued, before it hands the rest to a worker and returns to its own response.
    /// </summary>
    internal const int DrainBatchesAfterOwn = 2;

    /// <summary>The most batches one caller runs in one call, its own request done or not (it is not, only under priority traffic).</summary>
    internal const int MaxBatchesPerCaller = 8;

    /// <summary>Starts the workers.</summary>
    /// <param name="instance">The loaded model; not owned (the version disposes it after the scheduler).</param>
    /// <param name="options">Batching and queue settings.</param>
    /// <param name="timeProvider">Time for queue delays and deadlines.</param>
    /// <param name="owner">"model 'x' version n", for error messages.</param>
    public DynamicBatcher(IModelInstance instance, BatchingOptions options, TimeProvider timeProvider, string owner)
    {
        ArgumentNullException.ThrowIfNull(options);
        _instance = instance;
        _options = options;
        _time = timeProvider;
        _owner = owner;
        _completer = options.PreserveOrdering ? new OrderedCompleter() : null;
        _callerRuns = options.RunInlineWhenIdle && options.MaxQueueDelay == TimeSpan.Zero;
        _instances = _free = Math.Max(1, options.InstanceCount);
        _workers = new Task[_instances];
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Run(WorkAsync);
        }
    }

    /// <inheritdoc />
    public int QueuedRequests => Volatile.Read(ref _queued);

    /// <inheritdoc />
    public void EnsureCapacity()
    {
        if (Volatile.Read(ref _queued) >= _options.MaxQueueSize)
        {
            throw QueueFull();
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Tensor>> ScheduleAsync(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputs, ScheduleOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(options);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromException<IReadOnlyList<Tensor>>(Cancelled());
        }

        var timeout = Cap(options.Timeout, _options.DefaultTimeout);
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            return Task.FromException<IReadOnlyList<Tensor>>(DeadlineExceeded(t, "before it was queued"));
        }

        var rows = inputs.Count > 0 && inputs[0].ShapeSpan.Length > 0 ? inputs[0].ShapeSpan[0] : 1;
        var item = new WorkItem(this, inputs, outputs, rows, options.EffectivePriority);
        var execute = false;
        lock (_lock)
        {
            if (_stopped)
            {
                return Task.FromException<IReadOnlyList<Tensor>>(new InferenceException(InferenceErrorCode.Unavailable, $"{_owner} is shutting down"));
            }

            if (_queued >= _options.MaxQueueSize)
            {
                return Task.FromException<IReadOnlyList<Tensor>>(QueueFull());
            }

            item.Sequence = _sequence++;
            if (!_queues.TryGetValue(item.Priority, out var queue))
            {
                _queues[item.Priority] = queue = new LinkedList<WorkItem>();
            }

            item.Node = queue.AddLast(item);
            _queued++;
            if (_callerRuns && _free > 0)
            {
                _free--;
                execute = true;
            }
        }

        // Arm cancellation and the deadline after queueing, so that a failure can always find the item to remove.
        item.Arm(timeout, cancellationToken);
        if (execute)
        {
            // An instance is free: run here, without the hand-offs to a worker and back.
            ExecuteOnCaller(item);
        }
        else if (!_callerRuns)
        {
            Wake();
        }

        // Else every permit is held, and a holder looks at the queue before it gives its permit back.
        return item.Task;
    }

    /// <summary>Stops taking requests, fails those still queued, and waits for running batches to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        List<WorkItem> left;
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            left = _queues.Values.SelectMany(q => q).ToList();
            if (_free == _instances)
            {
                _idle.TrySetResult();
            }
        }

        foreach (var item in left)
        {
            item.Fail(new InferenceException(InferenceErrorCode.Unavailable, $"{_owner} was unloaded before the request ran"));
        }

        await _stop.CancelAsync();
        _signal.Release(_workers.Length);
        try
        {
            await Task.WhenAll(_workers);
        }
        catch (OperationCanceledException)
        {
            // Workers end by cancellation.
        }

        // Wait for runs on callers' threads too before the instance may be disposed.
        await _idle.Task;
        _stop.Dispose();
        _signal.Dispose();
    }

    /// <summary>
    /// Runs batches on the caller's thread, which holds an instance permit: the next batch in queue order each time
    /// (the oldest request of the highest priority, joined by those that merge with it, the caller's own request
    /// among them when it can), until the caller's request is done and the queue is empty, or until the bounds
    /// above are reached; requests still queued then go to a worker. Other callers' requests complete through
    /// their tasks, whose continuations run on the thread pool, never here; the caller's own task is already
    /// complete when it returns (unless its request ran elsewhere), so its continuation runs on without a hop.
    /// </summary>
    private void ExecuteOnCaller(WorkItem mine)
    {
        var ran = 0;
        var afterOwn = 0;
        var holding = true;
        try
        {
            while (true)
            {
                List<WorkItem>? batch = null;
                var handOff = false;
                lock (_lock)
                {
                    var done = mine.IsCompleted;
                    if (ran < MaxBatchesPerCaller && !(done && afterOwn >= DrainBatchesAfterOwn))
                    {
                        batch = TakeBatch();
                    }

                    if (batch is null)
                    {
                        handOff = _queued > 0 && !_stopped;
                        ReleasePermit();
                        holding = false;
                    }
                    else if (done)
                    {
                        afterOwn++;
                    }
                }

                if (batch is null)
                {
                    if (handOff)
                    {
                        Wake();
                    }

                    return;
                }

                Run(batch);
                ran++;
            }
        }
        finally
        {
            if (holding)
            {
                // Only if a run threw past its own handlers: give the permit back and let a worker go on.
                lock (_lock)
                {
                    ReleasePermit();
                }

                Wake();
            }
        }
    }

    /// <summary>Wakes a worker (none is left to wake once the scheduler is disposed).</summary>
    private void Wake()
    {
        try
        {
            _signal.Release();
        }
        catch (ObjectDisposedException)
        {
            // Stopped: queued requests were failed, and nothing new is taken.
        }
    }

    /// <summary>Gives an instance permit back; the caller holds the lock and has looked at the queue.</summary>
    private void ReleasePermit()
    {
        _free++;
        if (_stopped && _free == _instances)
        {
            _idle.TrySetResult();
        }
    }

    private async Task WorkAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // Take an instance before taking requests off the queue, so that requests count against the queue
            // limit until they run. None free: its holder looks at the queue before it gives it back.
            lock (_lock)
            {
                if (_free == 0 || _queued == 0)
                {
                    continue;
                }

                _free--;
            }

            var holding = true;
            try
            {
                while (true)
                {
                    // Null once the queue is empty, and then the permit is already back.
                    var batch = await NextBatchAsync(stop);
                    if (batch is null)
                    {
                        holding = false;
                        break;
                    }

                    Run(batch);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
            finally
            {
                if (holding)
                {
                    lock (_lock)
                    {
                        ReleasePermit();
                    }
                }
            }
        }
    }

    /// <summary>
    /// The next batch, taken off the queue under the lock: the oldest request of the highest priority, joined (when
    /// batching) by queued requests that can merge with it, up to the batch size limit. Null when the queue is empty.
    /// </summary>
    private List<WorkItem>? TakeBatch()
    {
        var batch = FormBatch(out _);
        if (batch is not null)
        {
            foreach (var item in batch)
            {
                Remove(item);
            }
        }

        return batch;
    }

    /// <summary>The batch <see cref="TakeBatch"/> would take, left in the queue. Under the lock.</summary>
    private List<WorkItem>? FormBatch(out long rows)
    {
        rows = 0;
        var head = FirstLive();
        if (head is null)
        {
            return null;
        }

        var batch = new List<WorkItem> { head };
        rows = head.Rows;
        if (_options.Batching)
        {
            foreach (var queue in _queues.Values)
            {
                for (var node = queue.First; node is not null && rows < _options.MaxBatchSize; node = node.Next)
                {
                    var item = node.Value;
                    if (item != head && !item.IsCompleted && rows + item.Rows <= _options.MaxBatchSize && BatchAssembler.CanMerge(head.Inputs, head.Outputs, item.Inputs, item.Outputs))
                    {
                        batch.Add(item);
                        rows += item.Rows;
                    }
                }
            }
        }

        return batch;
    }

    /// <summary>
    /// Takes the next batch (see <see cref="TakeBatch"/>), waiting up to the queue delay for a fuller one unless the
    /// batch is full or of a preferred size. When the queue is empty, gives the worker's permit back in the same
    /// lock and answers null.
    /// </summary>
    private async Task<List<WorkItem>?> NextBatchAsync(CancellationToken stop)
    {
        while (true)
        {
            TimeSpan wait;
            lock (_lock)
            {
                var batch = FormBatch(out var rows);
                if (batch is null)
                {
                    ReleasePermit();
                    return null;
                }

                var waited = _time.GetElapsedTime(batch[0].EnqueuedAt);
                wait = _options.MaxQueueDelay - waited;
                var full = !_options.Batching || rows >= _options.MaxBatchSize || _options.PreferredBatchSizes.Contains((int)rows);
                if (full || wait <= TimeSpan.Zero || _stopped)
                {
                    foreach (var item in batch)
                    {
                        Remove(item);
                    }

                    return batch;
                }
            }

            // Let more requests arrive: re-form the batch when one does (it may complete a preferred size) or when
            // the delay ends. A signal taken here is not lost: this worker keeps taking batches until the queue is empty.
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var arrival = _signal.WaitAsync(waiting.Token);
            var delay = Task.Delay(wait, _time, waiting.Token);
            await Task.WhenAny(arrival, delay);
            await waiting.CancelAsync();
            await Task.WhenAll(arrival, delay).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            stop.ThrowIfCancellationRequested();
        }
    }

    private WorkItem? FirstLive()
    {
        foreach (var queue in _queues.Values)
        {
            while (queue.First is { } node)
            {
                if (!node.Value.IsCompleted)
                {
                    return node.Value;
                }

                Remove(node.Value);
            }
        }

        return null;
    }

    private void Remove(WorkItem item)
    {
        if (item.Node is { List: { } list } node)
        {
            list.Remove(node);
            item.Node = null;
            _queued--;
        }
    }

    /// <summary>Removes a failed item from the queue (if it is still there: no worker has it).</summary>
    private void RemoveQueued(WorkItem item)
    {
        lock (_lock)
        {
            Remove(item);
        }
    }

    private void Run(List<WorkItem> batch)
    {
        // Drop requests that failed (deadline, cancellation) between picking and running.
        batch.RemoveAll(static i => i.IsCompleted);
        if (batch.Count == 0)
        {
            return;
        }

        // One cancellation source per run, cancelled once every request in it has failed (nobody is left to want
        // the result); a request that fails while running leaves it.
        using var abort = new RunAbort(batch.Count);
        foreach (var item in batch)
        {
            item.Start(abort);
        }

        byte[]?[]? rented = null;
        try
        {
            var first = batch[0];
            if (batch.Count == 1)
            {
                first.Succeed(_instance.Run(first.Inputs, first.Outputs, abort.Token));
                return;
            }

            var inputs = new Tensor[first.Inputs.Count];
            rented = new byte[]?[inputs.Length];
            var parts = new Tensor[batch.Count];
            for (var i = 0; i < inputs.Length; i++)
            {
                for (var b = 0; b < batch.Count; b++)
                {
                    parts[b] = batch[b].Inputs[i];
                }

                inputs[i] = BatchAssembler.Concat(first.Inputs[i].Name, parts, out rented[i]);
            }

            var results = _instance.Run(inputs, first.Outputs, abort.Token);
            var rows = new long[batch.Count];
            for (var b = 0; b < batch.Count; b++)
            {
                rows[b] = batch[b].Rows;
            }

            var split = new Tensor[results.Count][];
            for (var o = 0; o < split.Length; o++)
            {
                split[o] = BatchAssembler.Split(results[o], rows);
            }

            for (var b = 0; b < batch.Count; b++)
            {
                var mine = new Tensor[split.Length];
                for (var o = 0; o < split.Length; o++)
                {
                    mine[o] = split[o][b];
                }

                batch[b].Succeed(mine);
            }
        }
        catch (OperationCanceledException)
        {
            // Every request of the batch has already failed with its own reason (deadline or cancellation).
        }
        catch (InferenceException ex)
        {
            FailAll(batch, ex);
        }
#pragma warning disable CA1031 // A failing run must fail its requests, never the worker.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailAll(batch, new InferenceException(InferenceErrorCode.Internal, $"{_owner} failed to run: {ex.Message}", ex));
        }
        finally
        {
            // The merged inputs are read only by the run, which is over (outputs never alias inputs).
            foreach (var buffer in rented ?? [])
            {
                if (buffer is not null)
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
    }

    private static void FailAll(List<WorkItem> batch, InferenceException error)
    {
        foreach (var item in batch)
        {
            item.Fail(error);
        }
    }

    private static TimeSpan? Cap(TimeSpan? requested, TimeSpan? limit) =>
        (requested, limit) switch
        {
            ({ } r, { } l) => r < l ? r : l,
            ({ } r, null) => r,
            (null, { } l) => l,
            _ => null,
        };

    private InferenceException QueueFull() =>
        new(InferenceErrorCode.ResourceExhausted, $"the queue of {_owner} is full ({_options.MaxQueueSize} requests waiting); retry later");

    private InferenceException Cancelled() => new(InferenceErrorCode.Cancelled, $"the request to {_owner} was cancelled");

    private InferenceException DeadlineExceeded(TimeSpan timeout, string where) =>
        new(InferenceErrorCode.DeadlineExceeded, $"the request's deadline of {timeout.TotalMilliseconds:0.###} ms passed {where} ({_owner})");

    /// <summary>One queued request. Completion is claimed exactly once through <see cref="TryClaim"/>.</summary>
    private sealed class WorkItem(DynamicBatcher owner, IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputs, long rows, int priority)
    {
        private readonly TaskCompletionSource<IReadOnlyList<Tensor>> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private CancellationTokenRegistration _cancellation;
        private ITimer? _deadline;
        private TimeSpan _timeout;
        private int _claimed;

        // The run this request is part of; RunAbort.Left once the request failed, so that exactly one of Start and
        // Fail leaves the run for a request that fails.
        private RunAbort? _run;

        public IReadOnlyList<Tensor> Inputs { get; } = inputs;

        public IReadOnlyList<string> Outputs { get; } = outputs;

        public long Rows { get; } = rows;

        public int Priority { get; } = priority;

        public long Sequence { get; set; }

        public long EnqueuedAt { get; } = owner._time.GetTimestamp();

        public LinkedListNode<WorkItem>? Node { get; set; }

        public Task<IReadOnlyList<Tensor>> Task => _tcs.Task;

        public bool IsCompleted => Volatile.Read(ref _claimed) != 0;

        private DynamicBatcher Owner => owner;

        public void Arm(TimeSpan? timeout, CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.Register(static s => ((WorkItem)s!).Fail(((WorkItem)s!).Owner.Cancelled()), this);
            }

            if (timeout is { } t)
            {
                _timeout = t;
                _deadline = owner._time.CreateTimer(
                    static s =>
                    {
                        var item = (WorkItem)s!;
                        item.Fail(item.Owner.DeadlineExceeded(item._timeout, Volatile.Read(ref item._run) is null ? "while it was queued" : "while it was running"));
                    },
                    this, t, Timeout.InfiniteTimeSpan);
            }

            if (IsCompleted)
            {
                // Already answered by a run that took it before it was armed: nothing is left to cancel.
                _cancellation.Dispose();
                _deadline?.Dispose();
            }
        }

        /// <summary>Joins the run that is about to start (called by whoever runs the batch).</summary>
        public void Start(RunAbort run)
        {
            if (Interlocked.CompareExchange(ref _run, run, null) is not null)
            {
                // Failed since it was picked: it no longer wants the result.
                run.Leave();
            }
        }

        public void Succeed(IReadOnlyList<Tensor> result)
        {
            if (TryClaim())
            {
                Complete(() => _tcs.TrySetResult(result));
            }
        }

        public void Fail(Exception error)
        {
            if (!TryClaim())
            {
                return;
            }

            owner.RemoveQueued(this);
            _tcs.TrySetException(error);
            owner._completer?.Skip(Sequence);
            if (Interlocked.Exchange(ref _run, RunAbort.Left) is { } run && run != RunAbort.Left)
            {
                run.Leave();
            }
        }

        private bool TryClaim()
        {
            if (Interlocked.Exchange(ref _claimed, 1) != 0)
            {
                return false;
            }

            _cancellation.Dispose();
            _deadline?.Dispose();
            return true;
        }

        private void Complete(Action release)
        {
            if (owner._completer is { } completer)
            {
                completer.Complete(Sequence, release);
            }
            else
            {
                release();
            }
        }
    }

    /// <summary>Cancels a run once every request in it has failed (nobody is left to want the result).</summary>
    private sealed class RunAbort(int live) : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private int _live = live;

        /// <summary>Marks a request that failed before it joined a run.</summary>
        public static RunAbort Left { get; } = new(0);

        public CancellationToken Token => _cts.Token;

        public void Leave()
        {
            if (Interlocked.Decrement(ref _live) != 0)
            {
                return;
            }

            try
            {
                _cts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The run already ended.
            }
        }

        public void Dispose() => _cts.Dispose();
    }

    /// <summary>Releases results in arrival order: a result waits for every earlier request to be answered or to fail.</summary>
    private sealed class OrderedCompleter
    {
        private readonly Lock _lock = new();
        private readonly SortedDictionary<long, Action?> _pending = [];
        private long _next;

        public void Complete(long sequence, Action release) => Add(sequence, release);

        public void Skip(long sequence) => Add(sequence, null);

        private void Add(long sequence, Action? release)
        {
            var ready = new List<Action>();
            lock (_lock)
            {
                _pending[sequence] = release;
                while (_pending.Remove(_next, out var action))
                {
                    if (action is not null)
                    {
                        ready.Add(action);
                    }

                    _next++;
                }
            }

            foreach (var action in ready)
            {
                action();
            }
        }
    }
}
