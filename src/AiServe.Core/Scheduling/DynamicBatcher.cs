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
    /// <summary>
    /// Queue-delay waits in a row that must run out with nothing joining before the delay is skipped: a few, so that a
    /// single quiet moment under load does not turn batching off.
    /// </summary>
    internal const int FutileWaitsBeforeSkipping = 3;

    private readonly IModelInstance _instance;
    private readonly BatchingOptions _options;
    private readonly TimeProvider _time;
    private readonly string _owner;
    private readonly Lock _lock = new();

    // One FIFO per priority level in use, highest priority (lowest number) first. A list scanned in order rather than a
    // SortedDictionary: there are few levels, and enumerating a SortedDictionary allocates a stack on every call
    // (the workers enumerate it for every batch they form).
    private readonly List<(int Priority, LinkedList<WorkItem> Items)> _queues = [];
    private readonly SemaphoreSlim _signal = new(0);

    // One permit per instance: held by whoever runs the model (a worker, or a caller running inline).
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stop = new();
    private readonly OrderedCompleter? _completer;
    private readonly Task[] _workers;
    private long _sequence;
    private int _queued;

    // Rows of every queued request, mergeable or not.
    private long _queuedRows;

    // Workers waiting out a queue delay for a fuller batch. While exactly one waits, an arrival wakes it only when it
    // could change what the worker decides: the queued rows reach the fewest that could complete its batch (its next
    // preferred size, or the limit), or the arrival outranks the batch's head. Other arrivals cannot make the batch
    // full, so waking the worker for each of them (a thread hand-off, a timer and a re-scan of the queue) was wasted.
    // With more than one waiter every arrival wakes one, as before. All three under _lock.
    private int _delayWaiters;
    private long _wakeAtRows;
    private int _wakeForPriority;
    private bool _stopped;

    // Queue-delay waits in a row that ran out with nothing joining the batch (under _lock). From
    // FutileWaitsBeforeSkipping on, the delay is skipped (and a request that finds the model idle runs inline) until a
    // request arrives to find another one already queued: more requests at once than the instances can run, so a
    // wait would gather some. The delay is an upper bound: a wait that cannot gather anything only adds latency (a
    // lone client of wide-xl waited its 3 ms on every request).
    private int _futileWaits;

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
        _workers = new Task[Math.Max(1, options.InstanceCount)];
        _slots = new SemaphoreSlim(_workers.Length, _workers.Length);
        for (var i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Run(WorkAsync);
        }
    }

    /// <inheritdoc />
    public int QueuedRequests => Volatile.Read(ref _queued);

    /// <inheritdoc />
    public InferenceException? CheckCapacity() => Volatile.Read(ref _queued) >= _options.MaxQueueSize ? QueueFull() : null;

    /// <inheritdoc />
    public Task<IReadOnlyList<Tensor>> ScheduleAsync(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputs, ScheduleOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromException<IReadOnlyList<Tensor>>(Cancelled());
        }

        // The deadline counts from when the request arrived (options.StartedAt) when the caller says so; what is left
        // of it is what the timer waits.
        (TimeSpan Timeout, TimeSpan Left)? deadline = null;
        if (Cap(options.Timeout, _options.DefaultTimeout) is { } timeout)
        {
            var left = options.StartedAt == 0 ? timeout : timeout - _time.GetElapsedTime(options.StartedAt);
            if (left <= TimeSpan.Zero)
            {
                return Task.FromException<IReadOnlyList<Tensor>>(DeadlineExceeded(timeout, "before it was queued"));
            }

            // Longer than a timer can wait (about 49 days): no deadline in practice, and none is armed.
            deadline = left <= Repository.ModelConfigLoader.LongestWait ? (timeout, left) : null;
        }

        var rows = inputs.Count > 0 && inputs[0].ShapeSpan.Length > 0 ? inputs[0].ShapeSpan[0] : 1;
        var item = new WorkItem(this, inputs, outputs, rows, options.EffectivePriority);
        var inline = false;
        var wake = false;
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
            if (_queued > 0)
            {
                // Another request is still waiting: arrivals come close enough together for a queue delay to gather some.
                _futileWaits = 0;
            }

            if (_options.RunInlineWhenIdle && _queued == 0 && !DelayApplies() && _slots.Wait(0, CancellationToken.None))
            {
                inline = true;
            }
            else
            {
                item.Node = QueueOf(item.Priority).AddLast(item);
                _queued++;
                _queuedRows += item.Rows;
                wake = _delayWaiters != 1 || _queuedRows >= _wakeAtRows || item.Priority < _wakeForPriority;
            }
        }

        // Arm cancellation and the deadline after queueing, so that a failure can always find the item to remove.
        item.Arm(deadline, cancellationToken);
        if (inline)
        {
            // Nothing is waiting and an instance is free: run here, without the hand-offs to a worker and back.
            try
            {
                Run([item]);
            }
            finally
            {
                _slots.Release();
            }

            return item.Task;
        }

        if (wake)
        {
            _signal.Release();
        }

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
            left = _queues.SelectMany(q => q.Items).ToList();
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
        for (var i = 0; i < _workers.Length; i++)
        {
            await _slots.WaitAsync(CancellationToken.None);
        }

        _stop.Dispose();
        _signal.Dispose();
        _slots.Dispose();
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

            while (!stop.IsCancellationRequested)
            {
                // Take an instance before taking requests off the queue, so that requests count against the queue
                // limit until they run (a caller running inline may hold the instance for now).
                try
                {
                    await _slots.WaitAsync(stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                try
                {
                    var batch = await NextBatchAsync(stop);
                    if (batch is null)
                    {
                        break;
                    }

                    Run(batch);
                }
                finally
                {
                    _slots.Release();
                }
            }
        }
    }

    /// <summary>
    /// Takes the next batch: the oldest request of the highest priority, joined (when batching) by queued requests
    /// that can merge with it, up to the batch size limit. Waits up to the queue delay for a fuller batch unless the
    /// batch is full or of a preferred size. Null when the queue is empty.
    /// </summary>
    private async Task<List<WorkItem>?> NextBatchAsync(CancellationToken stop)
    {
        WorkItem? waitedFor = null;
        while (true)
        {
            TimeSpan wait;
            lock (_lock)
            {
                var head = FirstLive();
                if (head is null)
                {
                    return null;
                }

                var batch = new List<WorkItem> { head };
                var rows = head.Rows;
                if (_options.Batching)
                {
                    foreach (var (_, queue) in _queues)
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

                wait = DelayApplies() ? _options.MaxQueueDelay - _time.GetElapsedTime(head.EnqueuedAt) : TimeSpan.Zero;
                var full = !_options.Batching || rows >= _options.MaxBatchSize || _options.PreferredBatchSizes.Contains((int)rows);
                if (full || wait <= TimeSpan.Zero || _stopped)
                {
                    foreach (var item in batch)
                    {
                        Remove(item);
                    }

                    if (waitedFor == head && batch.Count == 1 && !_stopped)
                    {
                        // This worker waited for this batch, and nothing joined it. (A wait that gathers a request
                        // needs no rule of its own: that request arrived to find the head queued, which resets the count.)
                        _futileWaits++;
                    }

                    return batch;
                }

                waitedFor = head;

                if (++_delayWaiters == 1)
                {
                    _wakeAtRows = _queuedRows + (RowsToFill(rows) - rows);
                    _wakeForPriority = head.Priority;
                }
            }

            // Let more requests arrive: re-form the batch when one could complete it (or outranks its head), or when
            // the delay ends. A signal taken here is not lost: this worker keeps taking batches until the queue is empty.
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var arrival = _signal.WaitAsync(waiting.Token);
            var delay = Task.Delay(wait, _time, waiting.Token);
            await Task.WhenAny(arrival, delay);
            await waiting.CancelAsync();
            await Task.WhenAll(arrival, delay).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            lock (_lock)
            {
                // The waiter left behind (if any) set no threshold of its own: wake it on the next arrival, and it
                // sets its threshold again when it re-forms its batch.
                if (--_delayWaiters == 1)
                {
                    _wakeAtRows = 0;
                }
            }

            stop.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Whether a batch below its limit waits out the queue delay: one is configured, and waits have not run out with
    /// nothing joining <see cref="FutileWaitsBeforeSkipping"/> times in a row since arrivals last came close together.
    /// Callers hold the lock.
    /// </summary>
    private bool DelayApplies() => _options.Batching && _options.MaxQueueDelay > TimeSpan.Zero && _futileWaits < FutileWaitsBeforeSkipping;

    /// <summary>The rows at which a batch of <paramref name="rows"/> would be full: its next preferred size, else the limit.</summary>
    private long RowsToFill(long rows)
    {
        var fill = (long)_options.MaxBatchSize;
        foreach (var size in _options.PreferredBatchSizes)
        {
            if (size > rows && size < fill)
            {
                fill = size;
            }
        }

        return fill;
    }

    private WorkItem? FirstLive()
    {
        foreach (var (_, queue) in _queues)
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

    /// <summary>The FIFO of a priority level, made (in its place in the order) on first use. Callers hold the lock.</summary>
    private LinkedList<WorkItem> QueueOf(int priority)
    {
        var i = 0;
        while (i < _queues.Count && _queues[i].Priority < priority)
        {
            i++;
        }

        if (i == _queues.Count || _queues[i].Priority != priority)
        {
            _queues.Insert(i, (priority, new LinkedList<WorkItem>()));
        }

        return _queues[i].Items;
    }

    private void Remove(WorkItem item)
    {
        if (item.Node is { List: { } list } node)
        {
            list.Remove(node);
            item.Node = null;
            _queued--;
            _queuedRows -= item.Rows;
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
        catch (OperationCanceledException) when (abort.Token.IsCancellationRequested)
        {
            // Every request of the batch has already failed with its own reason (deadline or cancellation). A
            // cancellation the run did not ask for is a failure like any other (below): its requests must not hang.
        }
        catch (InferenceException ex) when (ex.Code == InferenceErrorCode.InvalidArgument && batch.Count > 1)
        {
            // The merged run refused its input (an id out of the model's range in one request, say): run each
            // request on its own, so that the error reaches only the request that caused it.
            RunEachAlone(batch, abort.Token);
        }
        catch (InferenceException ex)
        {
            FailAll(batch, ex);
        }
#pragma warning disable CA1031 // A failing run must fail its requests, never the worker.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FailAll(batch, RunFailed(ex));
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

    /// <summary>Runs every request of a failed merged run by itself; each gets its own result or error.</summary>
    private void RunEachAlone(List<WorkItem> batch, CancellationToken token)
    {
        foreach (var item in batch)
        {
            if (item.IsCompleted)
            {
                continue;
            }

            try
            {
                item.Succeed(_instance.Run(item.Inputs, item.Outputs, token));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // The run's token is cancelled only once every request of the batch has failed.
                return;
            }
            catch (InferenceException ex)
            {
                item.Fail(ex);
            }
#pragma warning disable CA1031 // A failing run must fail its request, never the worker.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                item.Fail(RunFailed(ex));
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

    private InferenceException RunFailed(Exception ex) => new(InferenceErrorCode.Internal, $"{_owner} failed to run: {ex.Message}", ex);

    private InferenceException Cancelled() => new(InferenceErrorCode.Cancelled, $"the request to {_owner} was cancelled");

    private InferenceException DeadlineExceeded(TimeSpan timeout, string where) =>
        new(InferenceErrorCode.DeadlineExceeded, $"the request's deadline of {timeout.TotalMilliseconds:0.####} ms passed {where} ({_owner})");

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

        /// <param name="deadline">
        /// The request's deadline (for its error message) and what is left of it now (how long the timer waits); null
        /// for none.
        /// </param>
        /// <param name="cancellationToken">The caller's cancellation.</param>
        public void Arm((TimeSpan Timeout, TimeSpan Left)? deadline, CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _cancellation = cancellationToken.Register(static s => ((WorkItem)s!).Fail(((WorkItem)s!).Owner.Cancelled()), this);
            }

            if (deadline is { } d)
            {
                _timeout = d.Timeout;
                _deadline = owner._time.CreateTimer(
                    static s =>
                    {
                        var item = (WorkItem)s!;
                        item.Fail(item.Owner.DeadlineExceeded(item._timeout, Volatile.Read(ref item._run) is null ? "while it was queued" : "while it was running"));
                    },
                    this, d.Left, Timeout.InfiniteTimeSpan);
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
            if (!TryClaim())
            {
                return;
            }

            if (owner._completer is { } completer)
            {
                CompleteInOrder(completer, result);
            }
            else
            {
                _tcs.TrySetResult(result);
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

        // Its own method: the closure over the result is then made only when ordering is asked for, not for every
        // request that succeeds.
        private void CompleteInOrder(OrderedCompleter completer, IReadOnlyList<Tensor> result) =>
            completer.Complete(Sequence, () => _tcs.TrySetResult(result));
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
