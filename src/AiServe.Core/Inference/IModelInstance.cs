namespace AiServe.Core.Inference;

/// <summary>
/// A loaded, runnable model version. Thread-safe: several callers may run at once. Disposed by the lifecycle
/// once no request uses it any more.
/// </summary>
public interface IModelInstance : IDisposable
{
    /// <summary>The inputs and outputs found in the model file.</summary>
    ModelSignature Signature { get; }

    /// <summary>
    /// Runs the model. Inputs have been validated against <see cref="Signature"/>. Returns the named outputs in the
    /// order asked, in memory of their own: an output never points into an input's buffer (the scheduler returns
    /// merged input buffers to a pool as soon as the run is over). Cancellation stops the run where the runtime allows.
    /// </summary>
    IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, CancellationToken cancellationToken);
}
