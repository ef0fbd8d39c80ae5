namespace AiServe.Core.Lifecycle;

/// <summary>
/// A request's reference on a ready version; disposing it lets an unloading version finish. Disposing twice
/// releases once (a class, not a struct, so that a copy cannot release the reference a second time).
/// </summary>
public sealed class ModelVersionLease : IDisposable
{
    private int _released;

    internal ModelVersionLease(ModelVersion version)
    {
        Version = version;
    }

    /// <summary>The version acquired.</summary>
    public ModelVersion Version { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            Version.Release();
        }
    }
}
