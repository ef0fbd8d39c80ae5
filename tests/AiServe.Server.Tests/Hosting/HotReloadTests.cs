using System.Net;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Hosting;

/// <summary>Repository changes apply while serving; broken models never take others down.</summary>
public sealed class HotReloadTests : IDisposable
{
    private const string AddConfig = """
        {"name": "add", "max_batch_size": 8, "version_policy": {"all": {}}, "labels": {"stable": 1}}
        """;

    private readonly TempModelRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Rescan_NewVersionFolder_BecomesServable()
    {
        _repo.WriteConfig("add", AddConfig).CopyVersion(TestPaths.DatatypesRepo, "add", 1);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await V2Http.PostJsonAsync(client, "/v2/models/add/versions/2/infer", AddModel.Request)).Status);

        _repo.CopyVersion(TestPaths.DatatypesRepo, "add", 2);
        factory.Rescan();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/add/versions/2/infer", AddModel.Request);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(12f, body.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle());
        Assert.Equal("2", (await V2Http.PostJsonAsync(client, "/v2/models/add/infer", AddModel.Request)).Body.GetProperty("model_version").GetString());
    }

    [Fact]
    public async Task Rescan_RemovedVersionFolder_StopsServingIt()
    {
        _repo.WriteConfig("add", AddConfig).CopyVersion(TestPaths.DatatypesRepo, "add", 1).CopyVersion(TestPaths.DatatypesRepo, "add", 2);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await V2Http.PostJsonAsync(client, "/v2/models/add/versions/2/infer", AddModel.Request)).Status);

        _repo.RemoveVersion("add", 2);
        factory.Rescan();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/add/versions/2/infer", AddModel.Request);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("unknown version 2", V2Http.Error(body), StringComparison.Ordinal);
        Assert.Equal("1", (await V2Http.PostJsonAsync(client, "/v2/models/add/infer", AddModel.Request)).Body.GetProperty("model_version").GetString());
    }

    [Fact]
    public async Task Rescan_EditedModelJson_IsReapplied()
    {
        _repo.WriteConfig("add", AddConfig).CopyVersion(TestPaths.DatatypesRepo, "add", 1).CopyVersion(TestPaths.DatatypesRepo, "add", 2);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();
        Assert.Equal(["1", "2"], (await V2Http.GetAsync(client, "/v2/models/add")).Body.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));

        _repo.WriteConfig("add", """{"version_policy": {"specific": {"versions": [1]}}, "max_batch_size": 2}""");
        factory.Rescan();

        var (_, metadata) = await V2Http.GetAsync(client, "/v2/models/add");
        Assert.Equal(["1"], metadata.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/add/infer", """
            {"inputs": [{"name": "a", "shape": [3, 4], "datatype": "FP32", "data": [1,2,3,4,1,2,3,4,1,2,3,4]},
                        {"name": "b", "shape": [3, 4], "datatype": "FP32", "data": [1,2,3,4,1,2,3,4,1,2,3,4]}]}
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("max_batch_size 2", V2Http.Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rescan_NewAndDeletedModelFolders_AppearAndGo()
    {
        _repo.WriteConfig("add", AddConfig).CopyVersion(TestPaths.DatatypesRepo, "add", 1);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        _repo.CopyModel(TestPaths.Models, "iris");
        _repo.RemoveModel("add");
        factory.Rescan();

        Assert.Equal(HttpStatusCode.OK, (await V2Http.GetAsync(client, "/v2/models/iris/ready")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await V2Http.PostJsonAsync(client, "/v2/models/add/infer", AddModel.Request)).Status);
    }

    [Fact]
    public async Task Polling_NewVersion_IsPickedUpWithoutRescanCall()
    {
        _repo.WriteConfig("add", AddConfig).CopyVersion(TestPaths.DatatypesRepo, "add", 1);
        using var factory = new AiServeFactory(_repo.Root, pollSeconds: 0.1);
        var client = await factory.StartAsync();

        _repo.CopyVersion(TestPaths.DatatypesRepo, "add", 2);

        // Bounded wait for the poller (not a timing assertion: the bound only stops a broken poller hanging the run).
        var status = HttpStatusCode.NotFound;
        for (var i = 0; i < 300 && status != HttpStatusCode.OK; i++)
        {
            await Task.Delay(100);
            status = (await V2Http.GetAsync(client, "/v2/models/add/versions/2/ready")).Status;
        }

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Start_CorruptModel_IsUnavailableWithReasonAndOthersServe()
    {
        _repo.CopyModel(TestPaths.Models, "iris").WriteCorruptVersion("broken", 1);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var (readyStatus, ready) = await V2Http.GetAsync(client, "/v2/models/broken/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyStatus);
        Assert.False(ready.GetProperty("ready").GetBoolean());
        Assert.Equal("UNAVAILABLE", ready.GetProperty("state").GetString());
        Assert.Contains("cannot load", ready.GetProperty("reason").GetString(), StringComparison.Ordinal);

        var (metadataStatus, metadata) = await V2Http.GetAsync(client, "/v2/models/broken");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, metadataStatus);
        Assert.Contains("UNAVAILABLE", V2Http.Error(metadata), StringComparison.Ordinal);

        var (inferStatus, infer) = await V2Http.PostJsonAsync(client, "/v2/models/broken/infer", "{}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, inferStatus);
        Assert.Contains("not ready", V2Http.Error(infer), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await V2Http.GetAsync(client, "/v2/health/ready")).Status);
        Assert.Equal(HttpStatusCode.OK, (await V2Http.PostJsonAsync(client, "/v2/models/iris/infer",
            """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""")).Status);
    }

    [Fact]
    public async Task Start_InvalidModelJson_ModelUnavailableWithFieldNamedOthersServe()
    {
        _repo.CopyModel(TestPaths.Models, "iris").CopyVersion(TestPaths.DatatypesRepo, "add", 1)
            .WriteConfig("add", """{"max_batch_size": 8, "colour": "blue"}""");
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var (status, ready) = await V2Http.GetAsync(client, "/v2/models/add/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("colour", ready.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await V2Http.GetAsync(client, "/v2/models/iris/ready")).Status);
    }

    [Fact]
    public async Task Start_ConfigDisagreesWithOnnxFile_UnavailableWithReason()
    {
        _repo.CopyVersion(TestPaths.DatatypesRepo, "add", 1)
            .WriteConfig("add", """{"inputs": [{"name": "a", "datatype": "FP64", "shape": [-1, 4]}, {"name": "b", "datatype": "FP32", "shape": [-1, 4]}]}""");
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var (_, ready) = await V2Http.GetAsync(client, "/v2/models/add/versions/1/ready");

        Assert.Contains("declares input 'a' as FP64, the model file has FP32", ready.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rescan_ReloadOfServingVersionFails_OldKeepsServing()
    {
        _repo.WriteConfig("add", AddConfig).CopyVersion(TestPaths.DatatypesRepo, "add", 1);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        _repo.WriteCorruptVersion("add", 1);
        factory.Rescan();

        var (status, body) = await V2Http.PostJsonAsync(client, "/v2/models/add/versions/1/infer", AddModel.Request);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(11f, body.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle());
        var version = factory.Manager.Resolve("add", 1);
        Assert.Contains("reload failed", version.Reason, StringComparison.Ordinal);

        // Operators and TF Serving clients see why the files on disk are not what serves.
        var health = (await V2Http.GetAsync(client, "/health/ready")).Body;
        Assert.Contains("reload failed", health.GetProperty("reasons").GetProperty("add").GetProperty("1").GetString(), StringComparison.Ordinal);
        var tfStatus = (await V2Http.GetAsync(client, "/v1/models/add/versions/1")).Body.GetProperty("model_version_status")[0];
        Assert.Equal("AVAILABLE", tfStatus.GetProperty("state").GetString());
        Assert.Equal("OK", tfStatus.GetProperty("status").GetProperty("error_code").GetString());
        Assert.Contains("reload failed", tfStatus.GetProperty("status").GetProperty("error_message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_LabelOfAVersionNotLoaded_ReasonInHealth()
    {
        _repo.WriteConfig("add", """{"name": "add", "max_batch_size": 8, "labels": {"stable": 1, "future": 7}}""").CopyVersion(TestPaths.DatatypesRepo, "add", 1);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        var reasons = (await V2Http.GetAsync(client, "/health/ready")).Body.GetProperty("reasons").GetProperty("add");

        Assert.Equal("points at version 7, which is not loaded (requests by this label get 503)", reasons.GetProperty("label future").GetString());
        Assert.False(reasons.TryGetProperty("label stable", out _));
    }

    [Fact]
    public async Task Rescan_ModelJsonBecomesInvalid_ServingModelKeepsServing()
    {
        _repo.WriteConfig("add", AddConfig).CopyVersion(TestPaths.DatatypesRepo, "add", 1);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        _repo.WriteConfig("add", """{"max_batch_size": "lots"}""");
        factory.Rescan();

        Assert.Equal(HttpStatusCode.OK, (await V2Http.PostJsonAsync(client, "/v2/models/add/infer", AddModel.Request)).Status);
        Assert.Contains("max_batch_size", factory.Manager.Find("add")!.ConfigError, StringComparison.Ordinal);
        var reasons = (await V2Http.GetAsync(client, "/health/ready")).Body.GetProperty("reasons").GetProperty("add");
        Assert.Contains("max_batch_size", reasons.GetProperty("model.json").GetString(), StringComparison.Ordinal);
        Assert.Contains("serving the previous configuration", reasons.GetProperty("1").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rescan_FixedCorruptVersion_BecomesReady()
    {
        _repo.WriteConfig("add", AddConfig).WriteCorruptVersion("add", 1);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await V2Http.GetAsync(client, "/v2/models/add/ready")).Status);

        _repo.CopyVersion(TestPaths.DatatypesRepo, "add", 1);
        File.SetLastWriteTimeUtc(Path.Combine(_repo.Root, "add", "1", "model.onnx"), DateTime.UtcNow.AddMinutes(1));
        factory.Rescan();

        Assert.Equal(HttpStatusCode.OK, (await V2Http.GetAsync(client, "/v2/models/add/ready")).Status);
    }
}
