namespace AiServe.Core.Repository;

/// <summary>Where model folders come from (a directory by default). Scanning never throws for one bad model.</summary>
public interface IModelSource
{
    /// <summary>A description for logs, e.g. the folder's path.</summary>
    string Description { get; }

    /// <summary>Reads the whole repository. Throws only when the repository itself cannot be read.</summary>
    RepositorySnapshot Scan();
}
