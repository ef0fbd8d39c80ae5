using AiServe.Core.Inference;

namespace AiServe.Tests.Common;

/// <summary>
/// A backend for Core tests: every model file is "loaded" as an instance with <see cref="Signature"/> that runs
/// <see cref="Compute"/>. A file whose text contains "fail" fails to load, with that text as the reason.
/// </summary>
public sealed class FakeModelBackend : IModelBackend
{
    public ModelSignature Signature { get; set; } = new(
        [new TensorSpec("x", TensorDataType.Fp32, [-1, 2])],
        [new TensorSpec("y", TensorDataType.Fp32, [-1, 2])]);

    /// <summary>Output computation: by default y = x + (file's version number).</summary>
    public Func<ModelLoadRequest, IReadOnlyList<Tensor>, IReadOnlyList<Tensor>>? Compute { get; set; }

    public List<FakeModelInstance> Loaded { get; } = [];

    public IModelInstance Load(ModelLoadRequest request)
    {
        var text = File.Exists(request.ModelPath) ? File.ReadAllText(request.ModelPath) : throw new FileNotFoundException("no model file", request.ModelPath);
        if (text.Contains("fail", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"cannot load: {text.Trim()}");
        }

        var instance = new FakeModelInstance(Signature, inputs => Compute?.Invoke(request, inputs) ?? AddVersion(request.Version, inputs), request);
        lock (Loaded)
        {
            Loaded.Add(instance);
        }

        return instance;
    }

    private static IReadOnlyList<Tensor> AddVersion(long version, IReadOnlyList<Tensor> inputs)
    {
        var x = inputs[0];
        var values = x.AsSpan<float>().ToArray().Select(v => v + version).ToArray();
        return [Tensor.FromValues("y", TensorDataType.Fp32, x.Shape.ToArray(), values.AsSpan())];
    }
}

/// <summary>An instance made by <see cref="FakeModelBackend"/>; counts runs and knows when it was disposed.</summary>
public sealed class FakeModelInstance(ModelSignature signature, Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>> run, ModelLoadRequest request) : IModelInstance
{
    private int _runs;

    public ModelSignature Signature { get; } = signature;

    public ModelLoadRequest Request { get; } = request;

    public bool Disposed { get; private set; }

    public int Runs => _runs;

    /// <summary>When set, runs wait on it (to hold requests in flight).</summary>
    public ManualResetEventSlim? Gate { get; set; }

    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Interlocked.Increment(ref _runs);
        Gate?.Wait(cancellationToken);
        return run(inputs);
    }

    public void Dispose() => Disposed = true;
}
