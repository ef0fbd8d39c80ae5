using System.Net;
using System.Text.Json;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Hosting;

/// <summary>
/// The repository changes while clients keep sending: versions come and go, model.json changes its labels, policy,
/// batching and instances, and is invalid for a while. Every answer must be one a client can act on (an answer from
/// the version it names, or a 4xx/503 with an error), never a 5xx otherwise, never a hang.
/// </summary>
public sealed class ReloadUnderLoadTests : IDisposable
{
    private static readonly string[] Paths =
    [
        "/v2/models/add/infer", "/v2/models/add/versions/1/infer", "/v2/models/add/versions/2/infer",
        "/v2/models/add/labels/stable/infer", "/v2/models/add/labels/canary/infer",
    ];

    private readonly TempModelRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task RepositoryChangesWhileServing_EveryAnswerUsable()
    {
        _repo.WriteConfig("add", Config(new Random(0))).CopyVersion(TestPaths.DatatypesRepo, "add", 1).CopyVersion(TestPaths.DatatypesRepo, "add", 2);
        using var factory = new AiServeFactory(_repo.Root);
        var client = await factory.StartAsync();

        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 6).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            var answers = new List<(string Path, HttpStatusCode Status, JsonElement Body)>();
            while (!stop.IsCancellationRequested)
            {
                var path = Paths[random.Next(Paths.Length)];
                var (status, body) = await V2Http.PostJsonAsync(client, path, AddModel.Request);
                answers.Add((path, status, body));
            }

            return answers;
        })).ToArray();

        // 60 changes of the repository, each applied as one poll applies it, while the clients send.
        var changes = new Random(42);
        for (var i = 0; i < 60; i++)
        {
            switch (changes.Next(4))
            {
                case 0 when Directory.Exists(Path.Combine(_repo.Root, "add", "2")):
                    _repo.RemoveVersion("add", 2);
                    break;
                case 0:
                    _repo.CopyVersion(TestPaths.DatatypesRepo, "add", 2);
                    break;
                case 1:
                    _repo.WriteConfig("add", """{"name": "add", "max_batch_size": "eight"}""");
                    break;
                default:
                    _repo.WriteConfig("add", Config(changes));
                    break;
            }

            factory.Rescan();
            await Task.Delay(changes.Next(1, 30));
        }

        await stop.CancelAsync();
        var all = (await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(120))).SelectMany(a => a).ToList();

        foreach (var (path, status, body) in all)
        {
            if (status == HttpStatusCode.OK)
            {
                // The answer comes from the version it names: version 2 adds 1 more.
                var version = body.GetProperty("model_version").GetString();
                var expected = version == "2" ? 12f : 11f;
                Assert.Equal(expected, body.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle());
                if (path.Contains("/versions/", StringComparison.Ordinal))
                {
                    Assert.EndsWith($"/versions/{version}/infer", path, StringComparison.Ordinal);
                }

                continue;
            }

            Assert.True(
                status is HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests,
                $"{path}: {(int)status} {body}");
            Assert.False(string.IsNullOrEmpty(V2Http.Error(body)), $"{path}: {(int)status} without an error message");
        }

        Assert.Contains(all, a => a.Status == HttpStatusCode.OK);
    }

    /// <summary>A valid model.json with a random policy, labels, batching and instance count.</summary>
    private static string Config(Random random)
    {
        string[] policies = ["""{"all": {}}""", """{"latest": {"num_versions": 1}}""", """{"specific": {"versions": [1]}}"""];
        return $$$"""
            {"name": "add", "max_batch_size": 8, "instance_count": {{{random.Next(1, 4)}}},
             "version_policy": {{{policies[random.Next(policies.Length)]}}},
             "labels": {"stable": {{{random.Next(1, 3)}}}, "canary": {{{random.Next(1, 3)}}}},
             "dynamic_batching": {"max_queue_delay_us": {{{random.Next(0, 3) * 100}}}, "max_queue_size": {{{random.Next(2, 64)}}}}}
            """;
    }
}
