using System.Collections.Immutable;
using AiServe.Core.Inference;
using AiServe.Core.Pipelines;
using AiServe.Core.Repository;
using AiServe.Core.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiServe.Core.Lifecycle;

/// <summary>
/// Turns repository snapshots into served model versions and routes requests to them.
/// Threading: <see cref="Apply"/> is serialised by a lock and may be slow (it loads models); it publishes an
/// immutable table of <see cref="ServedModel"/> with one volatile write, so <see cref="Acquire"/> and the readers
/// take no lock. A version leaves the table before it is unloaded, and is disposed after its last request.
/// </summary>
public sealed class ModelManager : IDisposable
{
    private readonly IModelBackend _backend;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _applyLock = new();
    private volatile ImmutableSortedDictionary<string, ServedModel> _models =
        ImmutableSortedDictionary<string, ServedModel>.Empty.WithComparers(StringComparer.Ordinal);
    private volatile bool _initialLoadComplete;
    private volatile bool _draining;
    private volatile bool _refusing;

    /// <summary>Creates a manager that loads through <paramref name="backend"/>.</summary>
    public ModelManager(IModelBackend backend, ILogger<ModelManager>? logger = null, TimeProvider? timeProvider = null)
    {
        _backend = backend;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Every model, in name order, as last published.</summary>
    public IReadOnlyCollection<ServedModel> Models => _models.Values.ToArray();

    /// <summary>True once the first snapshot has been applied: every model is loaded or has failed.</summary>
    public bool InitialLoadComplete => _initialLoadComplete;

    /// <summary>Ready to take traffic: the first load is complete and the server is not draining.</summary>
    public bool IsReady => _initialLoadComplete && !_draining;

    /// <summary>True from the start of a shutdown (<see cref="BeginDrain"/>) on.</summary>
    public bool IsDraining => _draining;

    /// <summary>Requests holding a version now (queued or running), over every model.</summary>
    public int InFlight => _models.Values.Sum(m => m.Versions.Values.Sum(v => v.InFlight));

    /// <summary>Shutdown, step 1: report not ready so load balancers stop sending; requests are still served.</summary>
    public void BeginDrain() => _draining = true;

    /// <summary>Shutdown, step 2: refuse new requests (Unavailable); those already taken run to the end.</summary>
    public void StopAccepting()
    {
        _draining = true;
        _refusing = true;
    }

    /// <summary>Finds a model by name.</summary>
    public ServedModel? Find(string name) => _models.GetValueOrDefault(name);

    /// <summary>
    /// Brings the served models in line with <paramref name="snapshot"/>: loads new and changed versions (keeping
    /// the old ones serving until the new ones are ready, and for good if they fail), unloads removed ones.
    /// </summary>
    public void Apply(RepositorySnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_applyLock)
        {
            var toUnload = new List<ModelVersion>();
            foreach (var (name, served) in _models)
            {
                if (!snapshot.Models.ContainsKey(name))
                {
                    ModelManagerLog.ModelRemoved(_logger, name);
                    Publish(_models.Remove(name));
                    toUnload.AddRange(served.Versions.Values);
                }
            }

            foreach (var (name, entry) in snapshot.Models)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var previous = _models.GetValueOrDefault(name);
                if (previous is not null && SameFiles(previous.Source, entry))
                {
                    continue;
                }

                var next = ApplyModel(entry, previous, toUnload);
                Publish(_models.SetItem(name, next));
            }

            foreach (var version in toUnload)
            {
                ModelManagerLog.VersionUnloading(_logger, version.ModelName, version.Version, version.InFlight);
                version.BeginUnload();
            }

            _initialLoadComplete = true;
        }
    }

    /// <summary>
    /// Finds the version a request addresses: an explicit <paramref name="version"/>, a <paramref name="label"/>,
    /// or (neither) the highest ready version. Does not take a reference.
    /// </summary>
    /// <exception cref="InferenceException">NotFound for an unknown model, version or label.</exception>
    public ModelVersion Resolve(string model, long? version = null, string? label = null)
    {
        var served = Find(model) ?? throw new InferenceException(InferenceErrorCode.NotFound, $"unknown model '{model}'");
        if (version is { } number)
        {
            return served.Versions.GetValueOrDefault(number)
                ?? throw new InferenceException(InferenceErrorCode.NotFound,
                    $"unknown version {number} of model '{model}'; it has {VersionList(served)}");
        }

        if (label is not null)
        {
            if (!served.Labels.TryGetValue(label, out var labelled))
            {
                throw new InferenceException(InferenceErrorCode.NotFound, $"unknown label '{label}' of model '{model}'");
            }

            return served.Versions.GetValueOrDefault(labelled)
                ?? throw new InferenceException(InferenceErrorCode.Unavailable,
                    $"label '{label}' of model '{model}' points at version {labelled}, which is not loaded");
        }

        return served.LatestReady ?? served.Versions.Values.LastOrDefault()
            ?? throw new InferenceException(InferenceErrorCode.Unavailable, $"model '{model}' has no version to serve{ConfigProblem(served)}");
    }

    /// <summary>Resolves like <see cref="Resolve"/> and takes a reference on a ready version for one request.</summary>
    /// <exception cref="InferenceException">NotFound, or Unavailable when the version is not ready.</exception>
    public ModelVersionLease Acquire(string model, long? version = null, string? label = null)
    {
        if (_refusing)
        {
            throw new InferenceException(InferenceErrorCode.Unavailable, "the server is shutting down and takes no new requests");
        }

        // A version can leave Ready between resolving and acquiring (a reload swapped it out); resolve once more.
        for (var attempt = 0; ; attempt++)
        {
            var resolved = Resolve(model, version, label);
            if (resolved.TryAcquire())
            {
                return new ModelVersionLease(resolved);
            }

            if (attempt > 0 || resolved.State is ModelVersionState.Loading or ModelVersionState.Unavailable)
            {
                throw NotReady(resolved);
            }
        }
    }

    /// <summary>The error for a version that is not ready, with its state and reason.</summary>
    public static InferenceException NotReady(ModelVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        var reason = string.IsNullOrEmpty(version.Reason) ? "" : $": {version.Reason}";
        return new InferenceException(InferenceErrorCode.Unavailable,
            $"model '{version.ModelName}' version {version.Version} is not ready ({version.State.ToString().ToUpperInvariant()}{reason})");
    }

    /// <summary>Unloads every version.</summary>
    public void Dispose()
    {
        lock (_applyLock)
        {
            foreach (var version in _models.Values.SelectMany(m => m.Versions.Values))
            {
                version.BeginUnload();
            }

            Publish(_models.Clear());
        }
    }

    private ServedModel ApplyModel(ModelEntry entry, ServedModel? previous, List<ModelVersion> toUnload)
    {
        if (entry.IgnoredVersionFolders is { } ignored && ignored != previous?.Source.IgnoredVersionFolders)
        {
            ModelManagerLog.VersionFoldersIgnored(_logger, entry.Name, ignored);
        }

        if (entry.ConfigError is { } error)
        {
            ModelManagerLog.ConfigInvalid(_logger, entry.Name, error);
            if (previous is not null && previous.Versions.Values.Any(v => v.State == ModelVersionState.Ready))
            {
                // Keep serving what was loaded; the error is visible on the model and its versions.
                foreach (var v in previous.Versions.Values.Where(v => v.State == ModelVersionState.Ready))
                {
                    v.SetReason($"serving the previous configuration; the current model.json is invalid: {error}");
                }

                return previous with { Source = entry, ConfigError = error };
            }

            var unavailable = entry.Versions.Values.ToImmutableSortedDictionary(
                v => v.Version,
                v => new ModelVersion(entry.Name, v.Version, ModelVersionState.Unavailable, $"invalid model.json: {error}", v, entry.ConfigFingerprint, null, null, null));
            if (previous is not null)
            {
                toUnload.AddRange(previous.Versions.Values);
            }

            return new ServedModel(entry.Name, entry, null, error, unavailable);
        }

        var config = entry.Config!;
        var wanted = VersionPolicy.Select(config.VersionPolicy, entry.Versions.Keys);
        var previousVersions = previous?.Versions ?? ImmutableSortedDictionary<long, ModelVersion>.Empty;

        // Show brand-new versions as Loading while they load.
        var placeholders = previousVersions;
        foreach (var number in wanted.Where(n => !previousVersions.ContainsKey(n)))
        {
            placeholders = placeholders.SetItem(number, new ModelVersion(entry.Name, number, ModelVersionState.Loading, "loading",
                entry.Versions[number], entry.ConfigFingerprint, config, null, null));
        }

        if (previous is null || placeholders != previousVersions)
        {
            Publish(_models.SetItem(entry.Name, (previous ?? new ServedModel(entry.Name, entry, config, null, placeholders)) with { Versions = placeholders }));
        }

        var versions = ImmutableSortedDictionary.CreateBuilder<long, ModelVersion>();
        foreach (var number in wanted)
        {
            var file = entry.Versions[number];
            var old = previousVersions.GetValueOrDefault(number);
            var key = $"{file.Fingerprint}|{entry.ConfigFingerprint}";
            if (old?.Source is { } oldFile && old.State is ModelVersionState.Ready or ModelVersionState.Unavailable
                && $"{oldFile.Fingerprint}|{old.ConfigFingerprint}" == key)
            {
                // The files are the ones this version was loaded from again (e.g. model.json restored after an
                // invalid edit): whatever problem the reason reported is gone.
                if (old.State == ModelVersionState.Ready)
                {
                    old.SetReason("");
                    old.FailedReloadKey = null;
                }

                versions[number] = old;
                continue;
            }

            if (old is { State: ModelVersionState.Ready } && old.FailedReloadKey == key)
            {
                versions[number] = old;
                continue;
            }

            // A failure is logged once, here: an error when the version does not serve, a warning when the loaded
            // one keeps serving.
            var loaded = LoadVersion(entry, file, config);
            if (loaded.State != ModelVersionState.Ready && old is { State: ModelVersionState.Ready })
            {
                ModelManagerLog.ReloadFailedKeptOld(_logger, entry.Name, number, loaded.Reason);
                old.SetReason($"serving the previously loaded files; reload failed: {loaded.Reason}");
                old.FailedReloadKey = key;
                versions[number] = old;
                continue;
            }

            if (loaded.State != ModelVersionState.Ready)
            {
                ModelManagerLog.VersionLoadFailed(_logger, entry.Name, number, loaded.Reason);
            }

            versions[number] = loaded;
            if (old is not null)
            {
                toUnload.Add(old);
            }
        }

        // Availability is kept, as by TF Serving's availability-preserving policy: while the policy selects versions
        // but none of them is ready (a new version folder still being copied, or broken), the highest version that was
        // serving keeps serving, so that the model is never taken down by it; once a selected version is ready it
        // unloads. A policy that selects nothing (the last version folder deleted) unloads everything, as asked.
        var keep = wanted.Count > 0 && !versions.Values.Any(v => v.State == ModelVersionState.Ready)
            ? previousVersions.Values.LastOrDefault(v => v.State == ModelVersionState.Ready && !versions.ContainsKey(v.Version))
            : null;
        foreach (var (number, old) in previousVersions)
        {
            if (versions.ContainsKey(number))
            {
                continue;
            }

            if (old == keep)
            {
                var selected = string.Join(", ", wanted.Select(n => $"{n}: {versions[n].State.ToString().ToUpperInvariant()}"));
                ModelManagerLog.KeptServingOutsidePolicy(_logger, entry.Name, selected, number);
                old.SetReason($"kept serving until a version the policy selects is ready ({selected})");
                versions[number] = old;
                continue;
            }

            toUnload.Add(old);
        }

        // Each version keeps the config it was loaded with; labels and metadata follow the current model.json.
        return new ServedModel(entry.Name, entry, config, null, versions.ToImmutable());
    }

    private ModelVersion LoadVersion(ModelEntry entry, VersionEntry file, ModelConfig config)
    {
        if (file.Error is { } missing)
        {
            return new ModelVersion(entry.Name, file.Version, ModelVersionState.Unavailable, missing, file, entry.ConfigFingerprint, config, null, null);
        }

        IModelInstance? instance = null;
        try
        {
            instance = _backend.Load(new ModelLoadRequest(entry.Name, file.Version, file.ModelPath, config));
            var signature = SignatureResolver.Resolve(config, instance.Signature);
            Warmup.Run(instance, signature, config, entry.Name, file.Version);

            // A broken pipeline.json makes the version Unavailable (ModelConfigException, caught below) with its reason.
            var pipeline = PipelineLoader.Load(Path.GetDirectoryName(file.ModelPath)!);
            if (pipeline is not null)
            {
                Warmup.RunPipeline(pipeline, instance, signature, config, entry.Name, file.Version);
            }

            ModelManagerLog.VersionReady(_logger, entry.Name, file.Version, signature.Inputs.Count, signature.Outputs.Count);
            var version = new ModelVersion(entry.Name, file.Version, ModelVersionState.Ready, "", file, entry.ConfigFingerprint, config, instance, signature, pipeline);
            version.AttachScheduler(new DynamicBatcher(instance, BatchingOptions.FromConfig(config), _time, $"model '{entry.Name}' version {file.Version}"));
            return version;
        }
#pragma warning disable CA1031 // Any failure to load one version must leave every other version serving.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            instance?.Dispose();
            return new ModelVersion(entry.Name, file.Version, ModelVersionState.Unavailable, ex.Message, file, entry.ConfigFingerprint, config, null, null);
        }
    }

    private void Publish(ImmutableSortedDictionary<string, ServedModel> models) => _models = models;

    private static bool SameFiles(ModelEntry a, ModelEntry b) =>
        a.ConfigFingerprint == b.ConfigFingerprint
        && a.ConfigError == b.ConfigError
        && a.IgnoredVersionFolders == b.IgnoredVersionFolders
        && a.Versions.Count == b.Versions.Count
        && a.Versions.All(v => b.Versions.TryGetValue(v.Key, out var other) && other.Fingerprint == v.Value.Fingerprint);

    private static string VersionList(ServedModel served) =>
        (served.Versions.Count == 0 ? "no versions" : $"versions {string.Join(", ", served.Versions.Keys)}") + served.IgnoredFoldersNote;

    private static string ConfigProblem(ServedModel served) =>
        (served.ConfigError is null ? "" : $": {served.ConfigError}") + served.IgnoredFoldersNote;
}
