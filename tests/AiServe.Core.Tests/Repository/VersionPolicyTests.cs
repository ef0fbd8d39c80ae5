using AiServe.Core.Repository;

namespace AiServe.Core.Tests.Repository;

public sealed class VersionPolicyTests
{
    private static readonly long[] Available = [3, 1, 10, 2];

    [Fact]
    public void Select_NoPolicy_HighestVersionOnly()
    {
        Assert.Equal([10L], VersionPolicy.Select(null, Available));
    }

    [Fact]
    public void Select_LatestTwo_HighestTwoAscending()
    {
        var policy = new VersionPolicyConfig { Latest = new LatestPolicyConfig { NumVersions = 2 } };

        Assert.Equal([3L, 10], VersionPolicy.Select(policy, Available));
    }

    [Fact]
    public void Select_LatestMoreThanAvailable_AllVersions()
    {
        var policy = new VersionPolicyConfig { Latest = new LatestPolicyConfig { NumVersions = 9 } };

        Assert.Equal([1L, 2, 3, 10], VersionPolicy.Select(policy, Available));
    }

    [Fact]
    public void Select_All_EveryVersionAscending()
    {
        var policy = ModelConfigLoader.Parse("""{"version_policy": {"all": {}}}""", "m").VersionPolicy;

        Assert.Equal([1L, 2, 3, 10], VersionPolicy.Select(policy, Available));
    }

    [Fact]
    public void Select_Specific_ListedVersionsThatExist()
    {
        var policy = new VersionPolicyConfig { Specific = new SpecificPolicyConfig { Versions = [10, 2, 7] } };

        Assert.Equal([2L, 10], VersionPolicy.Select(policy, Available));
    }

    [Fact]
    public void Select_NoVersions_Empty()
    {
        Assert.Empty(VersionPolicy.Select(null, []));
    }

    [Fact]
    public void Select_DuplicateVersions_EachOnce()
    {
        var policy = new VersionPolicyConfig { Latest = new LatestPolicyConfig { NumVersions = 2 } };

        Assert.Equal([2L, 3], VersionPolicy.Select(policy, [3, 3, 2, 1]));
    }
}
