namespace AiServe.Core.Lifecycle;

/// <summary>Where a model version is in its life. Always reported together with a reason.</summary>
public enum ModelVersionState
{
    /// <summary>Being loaded and warmed up; not yet serving.</summary>
    Loading,
    /// <summary>Serving requests.</summary>
    Ready,
    /// <summary>Taking no new requests; waiting for in-flight ones before it is disposed.</summary>
    Unloading,
    /// <summary>Disposed.</summary>
    Unloaded,
    /// <summary>Could not be loaded; the reason says why.</summary>
    Unavailable,
}
