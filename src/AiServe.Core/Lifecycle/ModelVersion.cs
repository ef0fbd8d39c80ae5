using AiServe.Core.Inference;
using AiServe.Core.Pipelines;
using AiServe.Core.Repository;
using AiServe.Core.Scheduling;

namespace AiServe.Core.Lifecycle;

/// <summary>
/// One version of a model and its runtime state.
/// Ownership: the <see cref="ModelManager"/> creates versions and is the only one to change their state; it owns
/// the <see cref="IModelInstance"/>. Requests borrow the version through <see cref="TryAcquire"/> /
/// <see cref="Release"/>; the instance is disposed only after <see cref="BeginUnload"/> and the last release.
/// Acquire and release are lock-free (two interlocked counters), so the request path takes no lock.
/// </summary>
public sealed class ModelVersion
{
    private readonly IModelInstance? _instance;
    private IInferenceScheduler? _scheduler;
    private int _inFlight;
    private int _state;
    private int _disposed;
    private string _reason;

    internal ModelVersion(string modelName, long version, ModelVersionState state, string reason, VersionEntry? source, string configFingerprint,
        ModelConfig? config, IModelInstance? instance, ModelSignature? signature, IPipeline? pipeline = null)
    {
        Pipeline = pipeline;
        ModelName = modelName;
        Version = version;
        VersionText = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _state = (int)state;
        _reason = reason;
        Source = source;
        ConfigFingerprint = configFingerprint;
        Config = config;
        _instance = instance;
        Signature = signature;
    }

    /// <summary>The model's name.</summary>
    public string ModelName { get; }

    /// <summary>The version number.</summary>
    public long Version { get; }

    /// <summary>The version number as text (invariant culture), made once for the answers and logs of every request.</summary>
    public string VersionText { get; }

    /// <summary>The current state.</summary>
    public ModelVersionState State => (ModelVersionState)Volatile.Read(ref _state);

    /// <summary>Why the version is in its state ("" when ready and healthy).</summary>
    public string Reason => Volatile.Read(ref _reason);

    /// <summary>
    /// What an operator should read about the version: why it is unavailable, or why it serves although a reload or a
    /// model.json edit did not apply; "" otherwise (a reason left over from loading or unloading says nothing now).
    /// </summary>
    public string Note => State is ModelVersionState.Unavailable or ModelVersionState.Ready ? Reason : "";

    /// <summary>The served inputs and outputs (null when the version never loaded).</summary>
    public ModelSignature? Signature { get; }

    /// <summary>The pre- and postprocessing of the version's pipeline.json (null when it has none).</summary>
    public IPipeline? Pipeline { get; }

    /// <summary>The configuration it was loaded with.</summary>
    public ModelConfig? Config { get; }

    /// <summary>The number of requests running on this version now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    internal VersionEntry? Source { get; }

    /// <summary>Files and config of a reload that failed while this version kept serving; not retried until they change.</summary>
    internal string? FailedReloadKey { get; set; }

    internal string ConfigFingerprint { get; }


    /// <summary>Takes a reference for one request; false when the version is not ready.</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _inFlight);
        if (State == ModelVersionState.Ready)
        {
            return true;
        }

        Release();
        return false;
    }

    /// <summary>Returns the reference taken by <see cref="TryAcquire"/>.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && State == ModelVersionState.Unloading)
        {
            FinishUnload();
        }
    }

    /// <summary>The queue and batcher in front of the instance (null when the version never loaded).</summary>
    public IInferenceScheduler? Scheduler => Volatile.Read(ref _scheduler);

    /// <summary>
    /// Validates one request and runs it through the version's scheduler. The caller holds a reference
    /// (<see cref="TryAcquire"/>) until the returned task completes.
    /// </summary>
    /// <exception cref="InferenceException">The request does not fit the model, the queue is full, the deadline passed, or the run failed.</exception>
    public async Task<InferenceResponse> InferAsync(InferenceRequest request, ScheduleOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var signature = Signature!;
        InferenceRequestValidator.Validate(request, signature, Config?.MaxBatchSize ?? 0, ModelName, Version);
        var outputs = request.RequestedOutputs ?? signature.OutputNames;
        var scheduler = Scheduler ?? throw ModelManager.NotReady(this);
        var result = await scheduler.ScheduleAsync(request.Inputs, outputs, options, cancellationToken);
        // Signature, not the local: a local read after the await would be one more field of the async state machine.
        Signature!.CheckAnswer(result, ModelName, Version);
        return new InferenceResponse(ModelName, Version, request.Id, result);
    }

    /// <summary>
    /// Checks one input of a request by its name, datatype and shape before its data is decoded (a decoder calls it
    /// as soon as it knows them), with the messages <see cref="InferAsync"/>'s full check gives.
    /// </summary>
    /// <exception cref="InferenceException">InvalidArgument when the input does not fit the model.</exception>
    public void CheckInput(string name, TensorDataType dataType, ReadOnlySpan<long> shape)
    {
        if (Signature is { } signature)
        {
            InferenceRequestValidator.ValidateInput(name, dataType, shape, signature, Config?.MaxBatchSize ?? 0, ModelName, Version);
        }
    }

    /// <summary>
    /// Runs records (in the model's own terms) through the version's pipeline: preprocess, schedule, postprocess.
    /// Answers one friendly object per record. The caller holds a reference (<see cref="TryAcquire"/>).
    /// </summary>
    /// <exception cref="InferenceException">InvalidArgument when the version has no pipeline or a record does not fit it.</exception>
    public Task<IReadOnlyList<System.Text.Json.Nodes.JsonObject>> PredictAsync(IReadOnlyList<System.Text.Json.JsonElement> records, ScheduleOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var pipeline = RequirePipeline();
        CheckRecordCount(records.Count);
        IReadOnlyList<Tensor> tensors;
        try
        {
            tensors = pipeline.Preprocess(records);
        }
        catch (InvalidOperationException ex) when (RequestText.IsUnreadable(ex))
        {
            throw RequestText.Unreadable("a record holds a value that cannot be read", ex);
        }

        return RunPipelineAsync(pipeline, tensors, records, options, cancellationToken);
    }

    /// <summary>Runs encoded images (PNG, JPEG, ...) through the version's image pipeline; one answer per image.</summary>
    /// <exception cref="InferenceException">InvalidArgument without a pipeline, or when it is not an image pipeline.</exception>
    public Task<IReadOnlyList<System.Text.Json.Nodes.JsonObject>> PredictImagesAsync(IReadOnlyList<ReadOnlyMemory<byte>> images, ScheduleOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(images);
        var pipeline = RequirePipeline();
        CheckRecordCount(images.Count);
        return RunPipelineAsync(pipeline, pipeline.PreprocessImages(images), [], options, cancellationToken);
    }

    /// <summary>
    /// Refuses a pipeline request of more records (or images) than the model takes in one request, its
    /// <c>max_batch_size</c> (each record is a row of the batch), before any of them costs a decode or a copy. A model
    /// without a batch dimension (0) has no such bound here: its pipeline bounds what a record expands to.
    /// </summary>
    /// <exception cref="InferenceException">InvalidArgument when <paramref name="count"/> is above max_batch_size.</exception>
    public void CheckRecordCount(int count)
    {
        if (Config?.MaxBatchSize is > 0 and var max && count > max)
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument,
                $"the request has {count} records, more than the max_batch_size {max} of model '{ModelName}' version {Version}; send at most {max} per request");
        }
    }

    private async Task<IReadOnlyList<System.Text.Json.Nodes.JsonObject>> RunPipelineAsync(
        IPipeline pipeline, IReadOnlyList<Tensor> tensors, IReadOnlyList<System.Text.Json.JsonElement> records, ScheduleOptions options, CancellationToken cancellationToken)
    {
        if (PipelineRequest(pipeline, tensors) is not { } request)
        {
            return pipeline.Postprocess([], records);
        }

        var response = await InferAsync(request, options, cancellationToken);
        return pipeline.Postprocess(response.Outputs, records);
    }

    /// <summary>
    /// What a pipeline asks of the model for the tensors it made: the outputs it reads, or null when it answers
    /// without the model (every tensor has 0 rows: a recommender's cold-start users get its popularity list).
    /// </summary>
    internal static InferenceRequest? PipelineRequest(IPipeline pipeline, IReadOnlyList<Tensor> tensors) =>
        tensors.Count == 0 || tensors[0].ShapeSpan.Length > 0 && tensors[0].ShapeSpan[0] == 0
            ? null
            : new InferenceRequest(tensors, pipeline.OutputNames.Count > 0 ? pipeline.OutputNames : null);

    private IPipeline RequirePipeline() =>
        Pipeline ?? throw new InferenceException(InferenceErrorCode.InvalidArgument,
            $"model '{ModelName}' version {Version} has no pipeline.json, so it takes raw tensors only: use :predict with tensor 'instances' or 'inputs'");

    /// <summary>Gives the version its scheduler once it has warmed up (before it is published as ready).</summary>
    internal void AttachScheduler(IInferenceScheduler scheduler) => Volatile.Write(ref _scheduler, scheduler);

    /// <summary>Keeps serving but records why the last reload did not take effect.</summary>
    internal void SetReason(string reason) => Volatile.Write(ref _reason, reason);

    /// <summary>Stops new requests; disposes the instance once in-flight requests have ended.</summary>
    internal void BeginUnload()
    {
        if (Interlocked.CompareExchange(ref _state, (int)ModelVersionState.Unloading, (int)ModelVersionState.Ready) != (int)ModelVersionState.Ready)
        {
            return;
        }

        Volatile.Write(ref _reason, "unloading: waiting for in-flight requests");
        if (InFlight == 0)
        {
            FinishUnload();
        }
    }

    private void FinishUnload()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Volatile.Write(ref _state, (int)ModelVersionState.Unloaded);
        Volatile.Write(ref _reason, "unloaded");

        // No request holds the version any more, but a run whose requests all gave up (deadline) may still be
        // executing: stopping the scheduler waits for it, so the instance is never disposed under a running model.
        Scheduler?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _instance?.Dispose();
    }
}
