using AiServe.Bench;
using AiServe.Bench.Reporting;

namespace AiServe.Client.Tests.Bench.Reporting;

public sealed class ReportFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("aiserve-bench-out-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Prepare_NewPrefix_CreatesTheDirectoryAndLeavesNoFile()
    {
        var files = ReportFiles.Prepare(Path.Combine(_root, "a", "b", "run1"));

        Assert.Equal(Path.Combine(_root, "a", "b", "run1.json"), files.JsonPath);
        Assert.True(Directory.Exists(Path.Combine(_root, "a", "b")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, "a", "b")));
    }

    [Fact]
    public void Prepare_ExistingDirectory_WritesResultsInIt()
    {
        Assert.Equal(Path.Combine(_root, "results.md"), ReportFiles.Prepare(_root).MarkdownPath);
    }

    [Fact]
    public void Prepare_EarlierResults_KeptUntilTheRunWrites()
    {
        var prefix = Path.Combine(_root, "run");
        File.WriteAllText(prefix + ".json", "earlier");

        ReportFiles.Prepare(prefix);

        Assert.Equal("earlier", File.ReadAllText(prefix + ".json"));
    }

    [Fact]
    public void Prepare_UnderProc_RefusedNamingThePrefix()
    {
        var ex = Assert.Throws<BenchOptionsException>(() => ReportFiles.Prepare("/proc/self/nope/x"));

        Assert.StartsWith("--out '/proc/self/nope/x': the results cannot be written there: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_DirectoryNamedLikeAResultFile_Refused()
    {
        var prefix = Path.Combine(_root, "run");
        Directory.CreateDirectory(prefix + ".json");

        var ex = Assert.Throws<BenchOptionsException>(() => ReportFiles.Prepare(prefix));

        Assert.EndsWith($"'{prefix}.json' is a directory", ex.Message, StringComparison.Ordinal);
    }
}
