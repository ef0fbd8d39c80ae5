using System.Collections.Immutable;
using AiServe.Core.Lifecycle;
using AiServe.Core.Repository;

namespace AiServe.Core.Tests.Lifecycle;

public sealed class ServedModelTests
{
    private static readonly ModelEntry Entry = new("m", "/nowhere/m", "", null, null, ImmutableSortedDictionary<long, VersionEntry>.Empty);

    private static ModelVersion Version(long number, ModelVersionState state) =>
        new("m", number, state, state == ModelVersionState.Ready ? "" : "not ready", null, "", null, null, null);

    private static ServedModel Model(params ModelVersion[] versions) =>
        new("m", Entry, null, null, versions.ToImmutableSortedDictionary(v => v.Version, v => v));

    [Fact]
    public void LatestReady_IsTheHighestReadyVersion_SkippingNewerOnesThatAreNotReady()
    {
        var one = Version(1, ModelVersionState.Ready);
        var model = Model(one, Version(2, ModelVersionState.Unavailable), Version(3, ModelVersionState.Loading));

        Assert.Same(one, model.LatestReady);
        Assert.Same(one, model.LatestReady); // the second read walks the same order
    }

    [Fact]
    public void LatestReady_NoReadyVersion_Null()
    {
        Assert.Null(Model(Version(1, ModelVersionState.Unavailable)).LatestReady);
        Assert.Null(Model().LatestReady);
    }

    [Fact]
    public void LatestReady_OfACopyWithOtherVersions_ComesFromTheCopysVersions()
    {
        var one = Version(1, ModelVersionState.Ready);
        var two = Version(2, ModelVersionState.Ready);
        var original = Model(one);
        Assert.Same(one, original.LatestReady);

        // `with` copies the cached order too; it must not answer for the new Versions.
        var copy = original with { Versions = original.Versions.Add(2, two) };

        Assert.Same(two, copy.LatestReady);
        Assert.Same(one, original.LatestReady);
    }
}
