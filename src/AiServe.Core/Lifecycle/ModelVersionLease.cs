namespace AiServe.Core.Lifecycle;

/// <summary>A request's reference on a ready version; disposing it lets an unloading version finish.</summary>
public readonly struct ModelVersionLease : IDisposable, IEquatable<ModelVersionLease>
{
    internal ModelVersionLease(ModelVersion version)
    {
        Version = version;
    }

    /// <summary>The version acquired.</summary>
    public ModelVersion Version { get; }

    /// <inheritdoc />
    public void Dispose() => Version?.Release();

    /// <inheritdoc />
    public bool Equals(ModelVersionLease other) => ReferenceEquals(Version, other.Version);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ModelVersionLease other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Version?.GetHashCode() ?? 0;

    /// <summary>Reference equality of the versions.</summary>
    public static bool operator ==(ModelVersionLease left, ModelVersionLease right) => left.Equals(right);

    /// <summary>Reference inequality of the versions.</summary>
    public static bool operator !=(ModelVersionLease left, ModelVersionLease right) => !left.Equals(right);
}
