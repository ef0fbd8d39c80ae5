using AiServe.Core.Inference;
using AiServe.Core.Lifecycle;
using AiServe.Core.Repository;
using AiServe.Tests.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AiServe.Core.Tests.Lifecycle;

public sealed class ModelManagerTests : IDisposable
{
    private readonly TempModelRepository _repo = new();
    private readonly CountingBackend _backend = new();
    private readonly ModelManager _manager;
    private long _writes;

    public ModelManagerTests()
    {
        _manager = new ModelManager(_backend);
    }

    public void Dispose()
    {
        _manager.Dispose();
        _repo.Dispose();
    }

    private void WriteVersion(string model, int version, string text = "ok")
    {
        var dir = Path.Combine(_repo.Root, model, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, FileSystemModelSource.ModelFileName);
        File.WriteAllText(file, text);

        // A distinct write time per write, so the fingerprint changes even when the size does not.
        File.SetLastWriteTimeUtc(file, new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(++_writes));
    }

    /// <summary>Loads version 1 of "m", whose y has two columns for one row (so warm-up passes) and three for more.</summary>
    private ModelVersionLease LoadModelGivingBatchesAThirdColumn()
    {
        _backend.Inner.Compute = (_, inputs) =>
        {
            var rows = inputs[0].Shape[0];
            long[] shape = rows == 1 ? [1, 2] : [rows, 3];
            return [Tensor.FromValues("y", TensorDataType.Fp32, shape, new float[TensorShape.ElementCount(shape)].AsSpan())];
        };
        WriteVersion("m", 1);
        Apply();
        return _manager.Acquire("m");
    }

    private static Task<InferenceResponse> InferTwoRows(ModelVersionLease lease) => lease.Version.InferAsync(
        new InferenceRequest([Tensor.FromValues("x", TensorDataType.Fp32, [2, 2], new float[4].AsSpan())]),
        AiServe.Core.Scheduling.ScheduleOptions.None,
        CancellationToken.None);

    private void Apply() => _manager.Apply(new FileSystemModelSource(_repo.Root).Scan());

    private ModelVersion Version(string model, long version) => _manager.Find(model)!.Versions[version];

    private static void AssertFails(InferenceErrorCode code, Action action, string mentions)
    {
        var ex = Assert.Throws<InferenceException>(action);
        Assert.Equal(code, ex.Code);
        Assert.Contains(mentions, ex.Message, StringComparison.Ordinal);
    }

    private static long AcquiredVersion(ModelManager manager, string model, long? version = null, string? label = null)
    {
        using var lease = manager.Acquire(model, version, label);
        Assert.Equal(lease.Version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), lease.Version.VersionText);
        return lease.Version.Version;
    }

    [Fact]
    public void Apply_InitialSnapshot_LoadsVersionsPerPolicy()
    {
        WriteVersion("latest", 1);
        WriteVersion("latest", 2);
        WriteVersion("latest", 3);
        _repo.WriteConfig("every", """{"version_policy": {"all": {}}}""");
        WriteVersion("every", 1);
        WriteVersion("every", 2);
        _repo.WriteConfig("two", """{"version_policy": {"latest": {"num_versions": 2}}}""");
        WriteVersion("two", 1);
        WriteVersion("two", 2);
        WriteVersion("two", 3);

        Apply();

        Assert.True(_manager.InitialLoadComplete);
        Assert.Equal(["every", "latest", "two"], _manager.Models.Select(m => m.Name));
        Assert.Equal([3L], _manager.Find("latest")!.Versions.Keys);
        Assert.Equal([1L, 2], _manager.Find("every")!.Versions.Keys);
        Assert.Equal([2L, 3], _manager.Find("two")!.Versions.Keys);
        Assert.All(_manager.Models.SelectMany(m => m.Versions.Values), v => Assert.Equal(ModelVersionState.Ready, v.State));
        Assert.Equal(5, _backend.Loads);
    }

    [Fact]
    public void Apply_NewVersion_WarmsUpBeforeReady()
    {
        WriteVersion("m", 1);

        Apply();

        Assert.Equal(1, _backend.Inner.Loaded.Single().Runs);
    }

    [Fact]
    public void Acquire_NoVersionOrLabel_HighestReadyVersion()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        WriteVersion("m", 3, "fail: corrupt");
        Apply();

        Assert.Equal(2, AcquiredVersion(_manager, "m"));
    }

    [Fact]
    public void Acquire_ExplicitVersion_ThatVersion()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        Apply();

        Assert.Equal(1, AcquiredVersion(_manager, "m", version: 1));
    }

    [Fact]
    public void Acquire_Label_LabelledVersion()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}, "labels": {"stable": 1, "canary": 2}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        Apply();

        Assert.Equal(1, AcquiredVersion(_manager, "m", label: "stable"));
        Assert.Equal(2, AcquiredVersion(_manager, "m", label: "canary"));
    }

    [Fact]
    public async Task Acquire_Lease_RunsOnThatVersion()
    {
        WriteVersion("m", 7);
        Apply();
        using var lease = _manager.Acquire("m");

        var response = await lease.Version.InferAsync(
            new InferenceRequest([Tensor.FromValues("x", TensorDataType.Fp32, [1, 2], new[] { 1f, 2f }.AsSpan())]),
            AiServe.Core.Scheduling.ScheduleOptions.None,
            CancellationToken.None);

        Assert.Equal(7, response.ModelVersion);
        Assert.Equal([8f, 9f], response.Outputs[0].AsSpan<float>().ToArray());
    }

    [Fact]
    public async Task InferAsync_ModelAnswersAShapeModelJsonPromisedOtherwise_FailsInternalWithBothShapes()
    {
        // The file leaves y's columns open ([-1, -1]) and model.json promises 2; this model gives a third column to
        // batches of more than one row (warm-up, with one row, passes).
        _backend.Inner.Signature = new ModelSignature(
            [new TensorSpec("x", TensorDataType.Fp32, [-1, 2])],
            [new TensorSpec("y", TensorDataType.Fp32, [-1, -1])]);
        _repo.WriteConfig("m", """{"outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 2]}]}""");
        using var lease = LoadModelGivingBatchesAThirdColumn();

        var ex = await Assert.ThrowsAsync<InferenceException>(() => InferTwoRows(lease));

        Assert.Equal(InferenceErrorCode.Internal, ex.Code);
        Assert.Equal("unexpected shape for output 'y' of model 'm' version 1: its published shape is [-1,2], the run gave [2,3]", ex.Message);
    }

    [Fact]
    public async Task InferAsync_ModelAnswersOtherwiseThanItsFileDeclaresWithNothingFromModelJson_AnsweredAsComputed()
    {
        // The file's own y is [-1, 2]; the run gives a third column. ONNX Runtime answers what a graph computes
        // whatever the graph declares, and only what model.json adds is checked.
        using var lease = LoadModelGivingBatchesAThirdColumn();

        var response = await InferTwoRows(lease);

        Assert.Equal([2L, 3], Assert.Single(response.Outputs).Shape);
    }

    [Fact]
    public void Acquire_UnknownModel_NotFound()
    {
        WriteVersion("m", 1);
        Apply();

        AssertFails(InferenceErrorCode.NotFound, () => _manager.Acquire("nope"), "'nope'");
    }

    [Fact]
    public void Acquire_UnknownVersion_NotFoundListingVersions()
    {
        WriteVersion("m", 1);
        Apply();

        AssertFails(InferenceErrorCode.NotFound, () => _manager.Acquire("m", version: 9), "versions 1");
    }

    [Fact]
    public void Acquire_VersionNotSelectedByPolicy_NotFound()
    {
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        Apply();

        AssertFails(InferenceErrorCode.NotFound, () => _manager.Acquire("m", version: 1), "unknown version 1");
    }

    [Fact]
    public void Acquire_UnknownLabel_NotFound()
    {
        _repo.WriteConfig("m", """{"labels": {"stable": 1}}""");
        WriteVersion("m", 1);
        Apply();

        AssertFails(InferenceErrorCode.NotFound, () => _manager.Acquire("m", label: "canary"), "'canary'");
    }

    [Fact]
    public void Acquire_LabelOfVersionNotLoaded_Unavailable()
    {
        _repo.WriteConfig("m", """{"labels": {"old": 1}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        Apply();

        AssertFails(InferenceErrorCode.Unavailable, () => _manager.Acquire("m", label: "old"), "version 1");
    }

    [Fact]
    public void Apply_VersionFailsToLoad_UnavailableWithReasonOthersServe()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2, "fail: truncated file");
        WriteVersion("other", 1);

        Apply();

        var failed = Version("m", 2);
        Assert.Equal(ModelVersionState.Unavailable, failed.State);
        Assert.Contains("truncated file", failed.Reason, StringComparison.Ordinal);
        AssertFails(InferenceErrorCode.Unavailable, () => _manager.Acquire("m", version: 2), "truncated file");
        Assert.Equal(1, AcquiredVersion(_manager, "m"));
        Assert.Equal(1, AcquiredVersion(_manager, "other"));
    }

    [Fact]
    public void Apply_VersionWithPipelineJson_ExposesPipeline()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        File.WriteAllText(Path.Combine(_repo.Root, "m", "2", "pipeline.json"),
            """{"kind": "tabular", "input": "x", "features": [{"name": "a", "type": "numeric"}, {"name": "b", "type": "numeric"}], "postprocess": {"type": "regression", "output": "y"}}""");

        Apply();

        Assert.Null(Version("m", 1).Pipeline);
        Assert.Equal("tabular", Version("m", 2).Pipeline?.Kind);
    }

    [Theory]
    [InlineData("""{"kind": "tabular", "input": "nope", "features": [{"name": "a", "type": "numeric"}, {"name": "b", "type": "numeric"}], "postprocess": {"type": "regression", "output": "y"}}""", "'nope'")]
    [InlineData("""{"kind": "tabular", "input": "x", "features": [{"name": "a", "type": "numeric"}], "postprocess": {"type": "regression", "output": "y"}}""", "shape [1,1]")]
    [InlineData("""{"kind": "tabular", "input": "x", "features": [{"name": "a", "type": "numeric"}, {"name": "b", "type": "numeric"}], "postprocess": {"type": "regression", "output": "nope"}}""", "'nope'")]
    [InlineData("""{"kind": "tabular", "input": "x", "features": [{"name": "a", "type": "numeric"}, {"name": "b", "type": "numeric"}], "postprocess": {"type": "classification", "probabilities": "y", "labels": ["a", "b", "c"]}}""", "labels")]
    public void Apply_PipelineJsonThatDoesNotFitTheModel_VersionUnavailableWithReason(string pipeline, string mentions)
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        File.WriteAllText(Path.Combine(_repo.Root, "m", "2", "pipeline.json"), pipeline);

        Apply();

        var failed = Version("m", 2);
        Assert.Equal(ModelVersionState.Unavailable, failed.State);
        Assert.Contains("pipeline.json does not fit the model", failed.Reason, StringComparison.Ordinal);
        Assert.Contains(mentions, failed.Reason, StringComparison.Ordinal);
        Assert.Equal(1, AcquiredVersion(_manager, "m"));
    }

    [Fact]
    public void Apply_BrokenPipelineJson_VersionUnavailableWithReasonOthersServe()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        File.WriteAllText(Path.Combine(_repo.Root, "m", "2", "pipeline.json"), """{"kind": "tabular", "featurez": []}""");

        Apply();

        var failed = Version("m", 2);
        Assert.Equal(ModelVersionState.Unavailable, failed.State);
        Assert.Contains("pipeline.json", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("featurez", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(1, AcquiredVersion(_manager, "m"));
    }

    [Fact]
    public void Apply_VersionFolderWithoutModelFile_UnavailableWithReason()
    {
        Directory.CreateDirectory(Path.Combine(_repo.Root, "m", "1"));

        Apply();

        Assert.Equal(ModelVersionState.Unavailable, Version("m", 1).State);
        Assert.Contains("model.onnx", Version("m", 1).Reason, StringComparison.Ordinal);
        Assert.Equal(0, _backend.Loads);
    }

    [Fact]
    public void Apply_NewVersionFolder_ServableAfterNextApply()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        Apply();
        WriteVersion("m", 2);

        Assert.Throws<InferenceException>(() => _manager.Acquire("m", version: 2));
        Apply();

        Assert.Equal(2, AcquiredVersion(_manager, "m"));
        Assert.Equal(1, AcquiredVersion(_manager, "m", version: 1));
    }

    [Fact]
    public void Apply_HigherVersionUnderLatestPolicy_OldVersionUnloaded()
    {
        WriteVersion("m", 1);
        Apply();
        var first = _backend.Inner.Loaded.Single();
        WriteVersion("m", 2);

        Apply();

        Assert.Equal([2L], _manager.Find("m")!.Versions.Keys);
        Assert.True(first.Disposed);
    }

    [Theory]
    [InlineData(false)] // the version folder is made, its file not yet copied
    [InlineData(true)] // the file is there but does not load
    public void Apply_NewVersionUnderLatestPolicyFails_OldKeepsServingUntilOneLoads(bool withFile)
    {
        WriteVersion("m", 1);
        Apply();
        var first = _backend.Inner.Loaded.Single();
        if (withFile)
        {
            WriteVersion("m", 2, "fail: truncated file");
        }
        else
        {
            Directory.CreateDirectory(Path.Combine(_repo.Root, "m", "2"));
        }

        Apply();

        Assert.Equal(ModelVersionState.Unavailable, Version("m", 2).State);
        Assert.Equal(ModelVersionState.Ready, Version("m", 1).State);
        Assert.Contains("kept serving until a version the policy selects is ready (2: UNAVAILABLE)", Version("m", 1).Reason, StringComparison.Ordinal);
        Assert.Equal(1, AcquiredVersion(_manager, "m"));
        Assert.Equal(1, AcquiredVersion(_manager, "m", version: 1));
        Assert.False(first.Disposed);

        WriteVersion("m", 2);
        Apply();

        Assert.Equal([2L], _manager.Find("m")!.Versions.Keys);
        Assert.Equal(2, AcquiredVersion(_manager, "m"));
        Assert.True(first.Disposed);
    }

    [Fact]
    public void Apply_LastVersionFolderDeleted_NothingKeptServing()
    {
        WriteVersion("m", 1);
        Apply();
        var first = _backend.Inner.Loaded.Single();

        _repo.RemoveVersion("m", 1);
        Apply();

        Assert.Empty(_manager.Find("m")!.Versions);
        Assert.True(first.Disposed);
    }

    [Fact]
    public void Apply_PolicyNarrowedWhileTheNewVersionIsBroken_OnlyTheHighestServingVersionKept()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        Apply();
        _repo.WriteConfig("m", """{"version_policy": {"latest": {"num_versions": 1}}}""");
        WriteVersion("m", 3, "fail: broken");

        Apply();

        Assert.Equal([2L, 3L], _manager.Find("m")!.Versions.Keys);
        Assert.Equal(2, AcquiredVersion(_manager, "m"));
        Assert.True(_backend.Inner.Loaded.Single(i => i.Request.Version == 1).Disposed);
    }

    [Fact]
    public void Apply_VersionRemovedWhileLeased_DisposedOnlyAfterRelease()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        Apply();
        var lease = _manager.Acquire("m", version: 1);
        var instance = _backend.Inner.Loaded.Single(i => i.Request.Version == 1);

        _repo.RemoveVersion("m", 1);
        Apply();

        AssertFails(InferenceErrorCode.NotFound, () => _manager.Acquire("m", version: 1), "unknown version 1");
        Assert.Equal(ModelVersionState.Unloading, lease.Version.State);
        Assert.False(instance.Disposed);
        Assert.Equal(2, AcquiredVersion(_manager, "m"));

        lease.Dispose();

        Assert.True(instance.Disposed);
        Assert.Equal(ModelVersionState.Unloaded, lease.Version.State);
    }

    [Fact]
    public void Apply_ModelJsonEdited_NewLabelsApplied()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}, "labels": {"stable": 1}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        Apply();

        _repo.WriteConfig("m", """{"version_policy": {"all": {}}, "labels": {"stable": 2}}""");
        Apply();

        Assert.Equal(2, AcquiredVersion(_manager, "m", label: "stable"));
        Assert.Equal(2L, _manager.Find("m")!.Labels["stable"]);
    }

    [Fact]
    public void Apply_ReloadedFileFails_OldKeepsServingWithReason()
    {
        WriteVersion("m", 1);
        Apply();
        var served = Version("m", 1);

        WriteVersion("m", 1, "fail: half-copied file");
        Apply();

        var version = Version("m", 1);
        Assert.Same(served, version);
        Assert.Equal(ModelVersionState.Ready, version.State);
        Assert.Contains("half-copied file", version.Reason, StringComparison.Ordinal);
        Assert.Equal(1, AcquiredVersion(_manager, "m"));
        Assert.False(_backend.Inner.Loaded.Single().Disposed);
    }

    [Fact]
    public void Apply_FailedReloadFilesUnchanged_NotRetried()
    {
        WriteVersion("m", 1);
        Apply();
        WriteVersion("m", 1, "fail: half-copied file");
        Apply();
        var loads = _backend.Loads;

        Apply();
        WriteVersion("other", 1);
        Apply();

        Assert.Equal(loads + 1, _backend.Loads);
        Assert.Contains("half-copied file", Version("m", 1).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_FailedReloadOtherFileOfModelChanges_FailedVersionNotRetried()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        Apply();
        WriteVersion("m", 1, "fail: half-copied file");
        Apply();
        var loads = _backend.Loads;

        WriteVersion("m", 2);
        Apply();

        Assert.Equal(loads + 1, _backend.Loads);
        Assert.Equal(ModelVersionState.Ready, Version("m", 2).State);
        Assert.Contains("half-copied file", Version("m", 1).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_FailedReloadFixed_NewFileServed()
    {
        WriteVersion("m", 1);
        Apply();
        var first = _backend.Inner.Loaded.Single();
        WriteVersion("m", 1, "fail: half-copied file");
        Apply();

        WriteVersion("m", 1, "ok, complete");
        Apply();

        Assert.Equal("", Version("m", 1).Reason);
        Assert.Equal(ModelVersionState.Ready, Version("m", 1).State);
        Assert.True(first.Disposed);
        Assert.Equal(1, AcquiredVersion(_manager, "m"));
    }

    [Fact]
    public void Apply_FailedVersionFilesUnchanged_NotRetried()
    {
        WriteVersion("m", 1, "fail: bad");
        Apply();
        var loads = _backend.Loads;

        Apply();

        Assert.Equal(loads, _backend.Loads);
        Assert.Equal(ModelVersionState.Unavailable, Version("m", 1).State);
    }

    [Fact]
    public void Apply_ModelJsonBecomesInvalid_ModelKeepsServing()
    {
        _repo.WriteConfig("m", """{"labels": {"stable": 1}}""");
        WriteVersion("m", 1);
        Apply();

        _repo.WriteConfig("m", """{"labels": {"stable": 1}, "typo": true}""");
        Apply();

        var model = _manager.Find("m")!;
        Assert.Contains("typo", model.ConfigError, StringComparison.Ordinal);
        Assert.Equal(ModelVersionState.Ready, Version("m", 1).State);
        Assert.Contains("typo", Version("m", 1).Reason, StringComparison.Ordinal);
        Assert.Equal(1, AcquiredVersion(_manager, "m", label: "stable"));
    }

    [Fact]
    public void Apply_ModelJsonRestoredAfterInvalid_ReasonCleared()
    {
        const string good = """{"labels": {"stable": 1}}""";
        _repo.WriteConfig("m", good);
        WriteVersion("m", 1);
        Apply();
        _repo.WriteConfig("m", """{"typo": true}""");
        Apply();

        _repo.WriteConfig("m", good);
        Apply();

        Assert.Null(_manager.Find("m")!.ConfigError);
        Assert.Equal(ModelVersionState.Ready, Version("m", 1).State);
        Assert.Equal("", Version("m", 1).Reason);
    }

    [Fact]
    public void Apply_ModelJsonInvalidFromStart_VersionsUnavailableWithReason()
    {
        _repo.WriteConfig("m", """{"max_batch_size": -1}""");
        WriteVersion("m", 1);

        Apply();

        Assert.Equal(ModelVersionState.Unavailable, Version("m", 1).State);
        Assert.Contains("max_batch_size", Version("m", 1).Reason, StringComparison.Ordinal);
        AssertFails(InferenceErrorCode.Unavailable, () => _manager.Acquire("m"), "max_batch_size");
        Assert.Equal(0, _backend.Loads);
    }

    [Fact]
    public void Apply_ModelJsonBecomesInvalidWhileNoVersionServes_VersionsSayItIsInvalid()
    {
        // Valid model.json, but the only version fails to load; then model.json turns invalid.
        WriteVersion("m", 1, "fail: does not load");
        Apply();
        Assert.Contains("does not load", Version("m", 1).Reason, StringComparison.Ordinal);

        _repo.WriteConfig("m", """{"max_batch_size": -1}""");
        Apply();

        Assert.Equal(ModelVersionState.Unavailable, Version("m", 1).State);
        Assert.Contains("invalid model.json", Version("m", 1).Reason, StringComparison.Ordinal);
        Assert.Contains("max_batch_size", Version("m", 1).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_ModelFolderRemoved_ModelUnknownAndInstancesDisposed()
    {
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2);
        WriteVersion("other", 1);
        Apply();

        _repo.RemoveModel("m");
        Apply();

        Assert.Null(_manager.Find("m"));
        AssertFails(InferenceErrorCode.NotFound, () => _manager.Acquire("m"), "'m'");
        Assert.All(_backend.Inner.Loaded.Where(i => i.Request.ModelName == "m"), i => Assert.True(i.Disposed));
        Assert.False(_backend.Inner.Loaded.Single(i => i.Request.ModelName == "other").Disposed);
    }

    [Fact]
    public void Apply_WarmupNamesUnknownInput_VersionUnavailable()
    {
        _repo.WriteConfig("m", """{"warmup": [{"name": "bad", "inputs": {"nope": {"shape": [1, 2], "data": [1, 2]}}}]}""");
        WriteVersion("m", 1);

        Apply();

        Assert.Equal(ModelVersionState.Unavailable, Version("m", 1).State);
        Assert.Contains("'nope'", Version("m", 1).Reason, StringComparison.Ordinal);
        Assert.True(_backend.Inner.Loaded.Single().Disposed);
    }

    [Fact]
    public void Apply_WarmupSampleValid_RunsSample()
    {
        _repo.WriteConfig("m", """{"warmup": [{"name": "s", "inputs": {"x": {"shape": [1, 2], "data": [1, 2]}}}, {"inputs": {"x": {"shape": [2, 2], "data": [[1, 2], [3, 4]]}}}]}""");
        WriteVersion("m", 1);

        Apply();

        Assert.Equal(ModelVersionState.Ready, Version("m", 1).State);
        Assert.Equal(2, _backend.Inner.Loaded.Single().Runs);
    }

    [Fact]
    public void Apply_DeclaredInputNotInModelFile_VersionUnavailable()
    {
        _repo.WriteConfig("m", """{"inputs": [{"name": "image", "datatype": "FP32", "shape": [-1, 2]}]}""");
        WriteVersion("m", 1);

        Apply();

        Assert.Equal(ModelVersionState.Unavailable, Version("m", 1).State);
        Assert.Contains("'image'", Version("m", 1).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_ServingVersions_InstancesDisposed()
    {
        WriteVersion("m", 1);
        Apply();

        _manager.Dispose();

        Assert.True(_backend.Inner.Loaded.Single().Disposed);
        Assert.Empty(_manager.Models);
    }

    /// <summary>Counts every load attempt, failed ones included (FakeModelBackend.Loaded has only the successes).</summary>
    private sealed class CountingBackend : IModelBackend
    {
        private int _loads;

        public FakeModelBackend Inner { get; } = new();

        public int Loads => _loads;

        public IModelInstance Load(ModelLoadRequest request)
        {
            Interlocked.Increment(ref _loads);
            return Inner.Load(request);
        }
    }

    [Fact]
    public void LeaseDispose_Twice_ReleasesOnce()
    {
        WriteVersion("m", 1);
        Apply();
        var lease = _manager.Acquire("m");

        lease.Dispose();
        lease.Dispose();

        Assert.Equal(0, Version("m", 1).InFlight);
    }

    [Fact]
    public void Apply_WarmupDataOfWrongType_UnavailableWithWarmupSampleNamed()
    {
        WriteVersion("m", 1);
        File.WriteAllText(Path.Combine(_repo.Root, "m", "model.json"),
            """{"warmup": [{"name": "bad", "inputs": {"x": {"shape": [1, 2], "data": ["a", "b"]}}}]}""");

        Apply();

        Assert.Equal(ModelVersionState.Unavailable, Version("m", 1).State);
        Assert.Contains("warm-up sample 'bad' failed", Version("m", 1).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_FailedLoadAndFailedReload_LoggedOnceEachAtTheirLevel()
    {
        var logger = new FakeLogger<ModelManager>();
        using var manager = new ModelManager(_backend, logger);
        _repo.WriteConfig("m", """{"version_policy": {"all": {}}}""");
        WriteVersion("m", 1);
        WriteVersion("m", 2, "fail: never loads");
        manager.Apply(new FileSystemModelSource(_repo.Root).Scan());
        logger.Collector.Clear();

        // Version 1 reloads and fails: it keeps serving, so a warning and no error.
        WriteVersion("m", 1, "fail: truncated");
        manager.Apply(new FileSystemModelSource(_repo.Root).Scan());

        var reload = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
        Assert.Equal(Diagnostics.EventIds.ReloadFailedKeptOld, reload.Id);
        Assert.Equal(LogLevel.Warning, reload.Level);
        Assert.Equal(1, AcquiredVersion(manager, "m", version: 1));

        // Version 2's first load failed: one error.
        logger.Collector.Clear();
        WriteVersion("m", 2, "fail: still not");
        manager.Apply(new FileSystemModelSource(_repo.Root).Scan());
        var failed = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
        Assert.Equal(Diagnostics.EventIds.VersionLoadFailed, failed.Id);
        Assert.Equal(LogLevel.Error, failed.Level);
    }

    [Fact]
    public void Acquire_OnlyZeroPaddedVersionFolder_SaysWhyThereIsNoVersion()
    {
        var logger = new FakeLogger<ModelManager>();
        using var manager = new ModelManager(_backend, logger);
        var padded = Path.Combine(_repo.Root, "m", "0001");
        Directory.CreateDirectory(padded);
        File.WriteAllText(Path.Combine(padded, FileSystemModelSource.ModelFileName), "ok");
        manager.Apply(new FileSystemModelSource(_repo.Root).Scan());

        AssertFails(InferenceErrorCode.Unavailable, () => manager.Acquire("m"), "has no version to serve (folder '0001' is not a version: ");
        AssertFails(InferenceErrorCode.NotFound, () => manager.Acquire("m", version: 1), "it has no versions (folder '0001' is not a version: ");
        var warning = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(Diagnostics.EventIds.VersionFoldersIgnored, warning.Id);
        Assert.Contains("Model m: folder '0001' is not a version", warning.Message, StringComparison.Ordinal);

        // Renamed as a version, it serves; said once per change of the folders, not at every scan.
        Directory.Move(padded, Path.Combine(_repo.Root, "m", "1"));
        manager.Apply(new FileSystemModelSource(_repo.Root).Scan());
        Assert.Equal(1, AcquiredVersion(manager, "m"));
        Assert.Null(manager.Find("m")!.Source.IgnoredVersionFolders);
        Directory.CreateDirectory(Path.Combine(_repo.Root, "m", "02"));
        manager.Apply(new FileSystemModelSource(_repo.Root).Scan());
        manager.Apply(new FileSystemModelSource(_repo.Root).Scan());

        Assert.Equal(1, AcquiredVersion(manager, "m"));
        AssertFails(InferenceErrorCode.NotFound, () => manager.Acquire("m", version: 2), "it has versions 1 (folder '02' is not a version: ");
        Assert.Equal(2, logger.Collector.GetSnapshot().Count(r => r.Id == Diagnostics.EventIds.VersionFoldersIgnored));
    }
}
