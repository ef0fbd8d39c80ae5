using System.Buffers;
using System.Collections.Concurrent;
using AiServe.Core.Inference;
using Microsoft.ML.OnnxRuntime;

namespace AiServe.Onnx;

/// <summary>
/// One ONNX Runtime session. <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// is thread-safe, so concurrent requests share the session. Inputs are passed to ONNX Runtime over the request's
/// own (pinned) buffers without copying. Outputs whose shape the signature fixes but for the batch dimension (the
/// usual classifier or embedding: <c>[-1, 3]</c>) are written by ONNX Runtime straight into managed arrays
/// allocated for the run; other outputs (variable dimensions beyond the first, BYTES) are allocated by ONNX
/// Runtime and copied out once before the OrtValues are released.
/// </summary>
internal sealed class OnnxModelInstance : IModelInstance
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _options;

    // RunOptions of finished runs kept for the next ones (never those a cancellation terminated). The queue never holds
    // more than the most runs that were ever in flight at once, which the scheduler bounds by instance_count.
    private readonly ConcurrentQueue<RunOptions> _runOptions = new();

    // The outputs ONNX Runtime can be handed arrays for, by name: those whose every dimension but the first is fixed.
    private readonly Dictionary<string, TensorSpec> _preshapeable;

    // Every output in the signature's order, when all of them are pre-shapeable: the specs of a request that names no
    // outputs (it gets them all, in that order), shared by its runs instead of looked up and copied for each.
    private readonly TensorSpec[]? _allPreshapeable;

    // Cleared for good when ONNX Runtime refused outputs shaped from the signature and then ran the same inputs with
    // outputs of its own: the model's outputs are not shaped as it declares them (its first dimension is not the
    // batch), so asking again would only fail again.
    private volatile bool _preshapeOutputs = true;

    public OnnxModelInstance(InferenceSession session, SessionOptions options)
    {
        _session = session;
        _options = options;
        Signature = new ModelSignature(
            ReadSpecs(session.InputMetadata, "input"),
            ReadSpecs(session.OutputMetadata, "output"));
        // An output that is a graph input itself is handed back by ONNX Runtime as the input's value, never written
        // into an array bound for it: it takes the runtime's own outputs.
        var inputNames = Signature.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        _preshapeable = Signature.Outputs.Where(o => IsPreshapeable(o) && !inputNames.Contains(o.Name)).ToDictionary(o => o.Name, StringComparer.Ordinal);
        _allPreshapeable = _preshapeable.Count == Signature.Outputs.Count ? Signature.Outputs.ToArray() : null;
    }

    /// <summary>Whether runs still ask ONNX Runtime to write outputs into arrays shaped from the signature (tests).</summary>
    internal bool PreshapesOutputs => _preshapeOutputs;

    public ModelSignature Signature { get; }

    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var runOptions = RentRunOptions();
        try
        {
            return RunWith(runOptions, inputs, outputNames, cancellationToken);
        }
        finally
        {
            // The run's cancellation registration is disposed by now, so nothing can terminate these options later.
            ReturnRunOptions(runOptions);
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _options.Dispose();
        while (_runOptions.TryDequeue(out var runOptions))
        {
            runOptions.Dispose();
        }
    }

    /// <summary>Options for one run: a kept one if any (creating them is a native allocation and a finalizable handle).</summary>
    internal RunOptions RentRunOptions() => _runOptions.TryDequeue(out var runOptions) ? runOptions : new RunOptions();

    /// <summary>Keeps the options for another run, unless a cancellation terminated them.</summary>
    internal void ReturnRunOptions(RunOptions runOptions)
    {
        if (runOptions.Terminate)
        {
            runOptions.Dispose();
            return;
        }

        _runOptions.Enqueue(runOptions);
    }

    /// <summary>
    /// An output ONNX Runtime can write into an array allocated before the run: a fixed-size type whose dimensions
    /// are all fixed but the first (the batch, or fixed too), none of them zero.
    /// </summary>
    internal static bool IsPreshapeable(TensorSpec spec) =>
        spec.DataType != TensorDataType.Bytes && spec.Shape.Length > 0 && spec.Shape[0] != 0 && spec.Shape.Skip(1).All(d => d > 0);

    private Tensor[] RunWith(RunOptions runOptions, IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
    {
        var values = new OrtValue[inputs.Count];
        var pins = new MemoryHandle[inputs.Count];
        var names = new string[inputs.Count];
        using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                names[i] = inputs[i].Name;
                values[i] = CreateValue(inputs[i], out pins[i]);
            }

            if (_preshapeOutputs && PreshapeableOutputs(inputs, outputNames) is { } specs)
            {
                try
                {
                    return RunIntoManagedOutputs(runOptions, names, values, outputNames, specs, inputs[0].ShapeSpan[0]);
                }
                catch (OnnxRuntimeException) when (!cancellationToken.IsCancellationRequested)
                {
                    // A shape the model does not produce, or a failure on the data: a run with the runtime's own
                    // outputs tells which. If it succeeds, the shapes were wrong, and stay wrong for this model.
                    var outputs = RunIntoRuntimeOutputs(runOptions, names, values, outputNames);
                    _preshapeOutputs = false;
                    return outputs;
                }
            }

            return RunIntoRuntimeOutputs(runOptions, names, values, outputNames);
        }
        catch (OnnxRuntimeException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the run was terminated", ex, cancellationToken);
        }
        catch (OnnxRuntimeException ex)
        {
            // Inputs were validated against the signature, so what is left is a data-dependent failure inside the
            // graph (e.g. an index out of range): the request's fault, reported with the runtime's words.
            throw new InferenceException(InferenceErrorCode.InvalidArgument, $"the model could not run on this input: {ex.Message}", ex);
        }
        finally
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }

            foreach (var pin in pins)
            {
                pin.Dispose();
            }
        }
    }

    /// <summary>
    /// The specs of the requested outputs when all of them are pre-shapeable and the first input has rows (its
    /// first dimension, the batch); otherwise null.
    /// </summary>
    private TensorSpec[]? PreshapeableOutputs(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
    {
        if (inputs.Count == 0 || inputs[0].ShapeSpan.Length == 0 || inputs[0].ShapeSpan[0] <= 0)
        {
            return null;
        }

        if (_allPreshapeable is { } all && SameNames(all, outputNames))
        {
            return all;
        }

        var specs = new TensorSpec[outputNames.Count];
        for (var k = 0; k < specs.Length; k++)
        {
            if (!_preshapeable.TryGetValue(outputNames[k], out var spec))
            {
                return null;
            }

            specs[k] = spec;
        }

        return specs;
    }

    private static bool SameNames(TensorSpec[] specs, IReadOnlyList<string> names)
    {
        if (specs.Length != names.Count)
        {
            return false;
        }

        for (var k = 0; k < specs.Length; k++)
        {
            if (!string.Equals(specs[k].Name, names[k], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Runs with outputs that ONNX Runtime writes into one managed array (each output at an 8-byte boundary, one pin
    /// for all), shaped from the signature with the batch's rows; the runtime fails the run if a shape is not the one
    /// it produces.
    /// </summary>
    private unsafe Tensor[] RunIntoManagedOutputs(RunOptions runOptions, string[] names, OrtValue[] values, IReadOnlyList<string> outputNames, TensorSpec[] specs, long rows)
    {
        var shapes = new long[specs.Length][];
        var offsets = new int[specs.Length + 1];
        for (var k = 0; k < specs.Length; k++)
        {
            var shape = (long[])specs[k].Shape.Clone();
            if (shape[0] < 0)
            {
                shape[0] = rows;
            }

            shapes[k] = shape;
            offsets[k + 1] = checked(offsets[k] + ((Size(specs[k], shape) + 7) & ~7));
        }

        // The tensors are views of the array; ONNX Runtime fills it during the run.
        var buffer = new byte[offsets[^1]];
        var outputs = new Tensor[specs.Length];
        var outputValues = new OrtValue[specs.Length];
        using var pin = buffer.AsMemory().Pin();
        try
        {
            for (var k = 0; k < specs.Length; k++)
            {
                outputs[k] = Tensor.FromBytes(outputNames[k], specs[k].DataType, shapes[k], buffer.AsMemory(offsets[k], Size(specs[k], shapes[k])));
                outputValues[k] = OrtValue.CreateTensorValueWithData(
                    OrtMemoryInfo.DefaultInstance, OnnxTypeMap.ToElementType(specs[k].DataType), shapes[k], (nint)((byte*)pin.Pointer + offsets[k]), outputs[k].Data.Length);
            }

            _session.Run(runOptions, names, values, outputNames, outputValues);
            return outputs;
        }
        finally
        {
            foreach (var value in outputValues)
            {
                value?.Dispose();
            }
        }

        static int Size(TensorSpec spec, long[] shape) => checked((int)(TensorShape.ElementCount(shape) * spec.DataType.ElementSize()));
    }

    /// <summary>Runs with outputs ONNX Runtime allocates, copied out once before they are released.</summary>
    private Tensor[] RunIntoRuntimeOutputs(RunOptions runOptions, string[] names, OrtValue[] values, IReadOnlyList<string> outputNames)
    {
        using var results = _session.Run(runOptions, names, values, outputNames);
        var outputs = new Tensor[outputNames.Count];
        var k = 0;
        foreach (var result in results)
        {
            outputs[k] = ToTensor(outputNames[k], result);
            k++;
        }

        return outputs;
    }

    private static unsafe OrtValue CreateValue(Tensor tensor, out MemoryHandle pin)
    {
        pin = default;
        var shape = tensor.Shape.ToArray();
        if (tensor.DataType == TensorDataType.Bytes)
        {
            var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
            var elements = tensor.Elements!;
            for (var i = 0; i < elements.Count; i++)
            {
                value.StringTensorSetElementAt(elements[i].Span, i);
            }

            return value;
        }

        // ONNX Runtime reads the request's bytes in place; the pin keeps them still until the run ends.
        pin = tensor.Data.Pin();
        return OrtValue.CreateTensorValueWithData(
            OrtMemoryInfo.DefaultInstance, OnnxTypeMap.ToElementType(tensor.DataType), shape, (nint)pin.Pointer, tensor.Data.Length);
    }

    private static Tensor ToTensor(string name, OrtValue value)
    {
        if (!value.IsTensor)
        {
            throw new InferenceException(InferenceErrorCode.Unsupported, $"output '{name}' is not a tensor (maps and sequences are not served)");
        }

        var info = value.GetTensorTypeAndShape();
        if (!OnnxTypeMap.TryToDataType(info.ElementDataType, out var dataType))
        {
            throw new InferenceException(InferenceErrorCode.Unsupported, $"output '{name}' has element type {info.ElementDataType}, which AiServe cannot serve");
        }

        var shape = info.Shape;
        if (dataType == TensorDataType.Bytes)
        {
            var count = (int)info.ElementCount;
            var elements = new ReadOnlyMemory<byte>[count];
            for (var i = 0; i < count; i++)
            {
                // The raw bytes, not a .NET string: BYTES may hold anything, and decoding would replace invalid UTF-8.
                elements[i] = value.GetStringElementAsSpan(i).ToArray();
            }

            return Tensor.FromElements(name, shape, elements);
        }

        return Tensor.FromBytes(name, dataType, shape, value.GetTensorDataAsSpan<byte>().ToArray());
    }

    private static TensorSpec[] ReadSpecs(IReadOnlyDictionary<string, NodeMetadata> metadata, string kind)
    {
        var specs = new List<TensorSpec>(metadata.Count);
        foreach (var (name, node) in metadata)
        {
            if (!node.IsTensor)
            {
                throw new InferenceException(InferenceErrorCode.Unsupported,
                    $"{kind} '{name}' is a {node.OnnxValueType}, not a tensor; AiServe serves tensors only (export classifiers without ZipMap)");
            }

            if (!OnnxTypeMap.TryToDataType(node.ElementDataType, out var dataType))
            {
                throw new InferenceException(InferenceErrorCode.Unsupported, $"{kind} '{name}' has element type {node.ElementDataType}, which AiServe cannot serve");
            }

            // ONNX Runtime gives a tensor that the graph declares without any shape (its rank unknown: the model runs
            // on any rank) no dimensions, exactly as it gives a scalar, and its C# metadata has no way to tell the two
            // apart (the C API's TensorTypeAndShape_HasShape, since 1.24, is not exposed by NodeMetadata, and reaching
            // it would take the session's internal handle). Either may be served as the other by mistake: a tensor
            // of any rank published as a scalar, or a scalar taking any shape (ONNX Runtime does not check the rank
            // of a scalar input). So no dimensions means "unknown", and model.json must declare the shape ([] for a
            // genuine scalar); SignatureResolver refuses the version otherwise, naming the tensor.
            var dimensions = node.Dimensions;
            specs.Add(new TensorSpec(name, dataType, dimensions.Select(d => d < 0 ? -1L : d).ToArray()) { UnknownRank = dimensions.Length == 0 });
        }

        return specs.ToArray();
    }
}
