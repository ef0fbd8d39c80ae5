using System.Net;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Hosting;

/// <summary>A model whose only version folder is not a version (zero-padded, as some exporters write it) says why.</summary>
public sealed class VersionFolderTests : IDisposable
{
    private const string Why = "(folder '0001' is not a version: a version folder is named by a whole number from 1";

    private readonly TempModelRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task ZeroPaddedVersionFolder_EveryAnswerSaysWhyThereIsNoVersion_ServedOnceRenamed()
    {
        _repo.CopyVersion(TestPaths.DatatypesRepo, "add", 1);
        Directory.Move(Path.Combine(_repo.Root, "add", "1"), Path.Combine(_repo.Root, "add", "0001"));
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var infer = await V2Http.PostJsonAsync(client, "/v2/models/add/infer", AddModel.Request);
        var version = await V2Http.PostJsonAsync(client, "/v2/models/add/versions/1/infer", AddModel.Request);
        var tfStatus = await V2Http.GetAsync(client, "/v1/models/add");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, infer.Status);
        Assert.Contains($"model 'add' has no version to serve {Why}", infer.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, version.Status);
        Assert.Contains($"unknown version 1 of model 'add'; it has no versions {Why}", version.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, tfStatus.Status);
        Assert.Contains($"Could not find any versions of model add {Why}", tfStatus.Body.GetProperty("error").GetString(), StringComparison.Ordinal);

        Directory.Move(Path.Combine(_repo.Root, "add", "0001"), Path.Combine(_repo.Root, "add", "1"));
        factory.Rescan();

        Assert.Equal(HttpStatusCode.OK, (await V2Http.PostJsonAsync(client, "/v2/models/add/infer", AddModel.Request)).Status);
        Assert.Equal(HttpStatusCode.OK, (await V2Http.PostJsonAsync(client, "/v2/models/add/versions/1/infer", AddModel.Request)).Status);
        Assert.Equal("1", Assert.Single((await V2Http.GetAsync(client, "/v1/models/add")).Body.GetProperty("model_version_status").EnumerateArray()).GetProperty("version").GetString());
    }
}
