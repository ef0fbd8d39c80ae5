using Microsoft.Extensions.Logging;

namespace AiServe.Core.Diagnostics;

/// <summary>Every log event id AiServe uses, in one place, so that ids stay unique and searchable.</summary>
public static class EventIds
{
    /// <summary>A model version became ready.</summary>
    public static readonly EventId VersionReady = new(1001, nameof(VersionReady));
    /// <summary>A model version failed to load.</summary>
    public static readonly EventId VersionLoadFailed = new(1002, nameof(VersionLoadFailed));
    /// <summary>A reload failed and the previous version keeps serving.</summary>
    public static readonly EventId ReloadFailedKeptOld = new(1003, nameof(ReloadFailedKeptOld));
    /// <summary>A model version is being unloaded.</summary>
    public static readonly EventId VersionUnloading = new(1004, nameof(VersionUnloading));
    /// <summary>A model's model.json is invalid.</summary>
    public static readonly EventId ConfigInvalid = new(1005, nameof(ConfigInvalid));
    /// <summary>A model was removed from the repository.</summary>
    public static readonly EventId ModelRemoved = new(1006, nameof(ModelRemoved));
    /// <summary>Scanning the repository failed; the previous snapshot stays.</summary>
    public static readonly EventId RepositoryScanFailed = new(1007, nameof(RepositoryScanFailed));
    /// <summary>The repository was loaded for the first time.</summary>
    public static readonly EventId InitialLoadComplete = new(1008, nameof(InitialLoadComplete));
    /// <summary>Shutdown began: readiness turned 503, refusal follows after the drain delay.</summary>
    public static readonly EventId DrainStarted = new(1010, nameof(DrainStarted));
    /// <summary>Shutdown finished draining in-flight requests.</summary>
    public static readonly EventId Drained = new(1011, nameof(Drained));
    /// <summary>Folders of a model named by digits are not versions (a leading zero, 0, too large) and are not served.</summary>
    public static readonly EventId VersionFoldersIgnored = new(1012, nameof(VersionFoldersIgnored));
    /// <summary>No version the policy selects loaded, so versions it no longer selects keep serving.</summary>
    public static readonly EventId KeptServingOutsidePolicy = new(1013, nameof(KeptServingOutsidePolicy));
}
