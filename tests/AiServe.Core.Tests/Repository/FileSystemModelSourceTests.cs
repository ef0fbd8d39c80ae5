using AiServe.Core.Repository;
using AiServe.Tests.Common;

namespace AiServe.Core.Tests.Repository;

public sealed class FileSystemModelSourceTests : IDisposable
{
    private readonly TempModelRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    private string WriteVersion(string model, string folder, string text = "ok")
    {
        var dir = Path.Combine(_repo.Root, model, folder);
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, FileSystemModelSource.ModelFileName);
        File.WriteAllText(file, text);
        return file;
    }

    private RepositorySnapshot Scan() => new FileSystemModelSource(_repo.Root).Scan();

    [Fact]
    public void Scan_IntegerFolders_AreVersionsOthersIgnored()
    {
        WriteVersion("m", "1");
        WriteVersion("m", "12");
        WriteVersion("m", "0");
        WriteVersion("m", "-3");
        WriteVersion("m", "v2");
        WriteVersion("m", "samples");
        WriteVersion("m", "1.5");

        var model = Scan().Models["m"];

        Assert.Equal([1L, 12], model.Versions.Keys);
        Assert.Equal(Path.Combine(_repo.Root, "m", "12", "model.onnx"), model.Versions[12].ModelPath);
        Assert.All(model.Versions.Values, v => Assert.Null(v.Error));
    }

    [Fact]
    public void Scan_NoModelJson_DefaultConfigNamedAfterFolder()
    {
        WriteVersion("m", "1");

        var model = Scan().Models["m"];

        Assert.Null(model.ConfigError);
        Assert.Equal("m", model.Config!.Name);
        Assert.Equal("none", model.ConfigFingerprint);
    }

    [Fact]
    public void Scan_VersionFolderWithoutModelFile_VersionHasError()
    {
        Directory.CreateDirectory(Path.Combine(_repo.Root, "m", "1"));

        var version = Scan().Models["m"].Versions[1];

        Assert.Equal("missing", version.Fingerprint);
        Assert.Contains("model.onnx", version.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_InvalidModelJson_ConfigErrorAndVersionsStillListed()
    {
        _repo.WriteConfig("m", """{"max_batch_size": -4}""");
        WriteVersion("m", "1");
        WriteVersion("m", "2");

        var model = Scan().Models["m"];

        Assert.Null(model.Config);
        Assert.Contains("max_batch_size", model.ConfigError, StringComparison.Ordinal);
        Assert.Equal([1L, 2], model.Versions.Keys);
    }

    [Fact]
    public void Scan_ModelJsonNotJson_ConfigErrorOtherModelsUnaffected()
    {
        _repo.WriteConfig("bad", "{ this is not json");
        WriteVersion("good", "1");

        var snapshot = Scan();

        Assert.NotNull(snapshot.Models["bad"].ConfigError);
        Assert.Null(snapshot.Models["good"].ConfigError);
    }

    [Fact]
    public void Scan_ModelJsonChanges_ConfigFingerprintChanges()
    {
        _repo.WriteConfig("m", """{"labels": {"stable": 1}}""");
        var before = Scan().Models["m"].ConfigFingerprint;

        _repo.WriteConfig("m", """{"labels": {"stable": 2}}""");
        var after = Scan().Models["m"].ConfigFingerprint;

        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Scan_ModelJsonUnchanged_ConfigFingerprintStable()
    {
        _repo.WriteConfig("m", """{"labels": {"stable": 1}}""");

        Assert.Equal(Scan().Models["m"].ConfigFingerprint, Scan().Models["m"].ConfigFingerprint);
    }

    // The fingerprint is each file's name, size and write time: rewriting a file with the same size changes it by time.
    [Theory]
    [InlineData("model.onnx")]
    [InlineData("pipeline.json")]
    [InlineData("vocab.txt")]
    public void Scan_FileOfVersionRewritten_VersionFingerprintChanges(string name)
    {
        var file = Path.Combine(Path.GetDirectoryName(WriteVersion("m", "1", "ok"))!, name);
        File.WriteAllText(file, "a");
        File.SetLastWriteTimeUtc(file, new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var before = Scan().Models["m"].Versions[1].Fingerprint;

        File.WriteAllText(file, "b");
        File.SetLastWriteTimeUtc(file, new DateTime(2024, 1, 2, 0, 0, 0, DateTimeKind.Utc));
        var after = Scan().Models["m"].Versions[1].Fingerprint;

        Assert.NotEqual(before, after);
    }

    [Fact]
    public void Scan_ModelFileUntouched_VersionFingerprintStable()
    {
        WriteVersion("m", "1");

        Assert.Equal(Scan().Models["m"].Versions[1].Fingerprint, Scan().Models["m"].Versions[1].Fingerprint);
    }

    [Fact]
    public void Scan_HiddenAndUnderscoreFolders_Ignored()
    {
        WriteVersion(".git", "1");
        WriteVersion("_staging", "1");
        WriteVersion("m", "1");

        Assert.Equal(["m"], Scan().Models.Keys);
    }

    [Fact]
    public void Scan_FilesAtRoot_Ignored()
    {
        File.WriteAllText(Path.Combine(_repo.Root, "README.md"), "models");
        WriteVersion("m", "1");

        Assert.Equal(["m"], Scan().Models.Keys);
    }

    [Fact]
    public void Scan_MissingRoot_ThrowsDirectoryNotFound()
    {
        var source = new FileSystemModelSource(Path.Combine(_repo.Root, "nowhere"));

        Assert.Throws<DirectoryNotFoundException>(() => source.Scan());
    }

    [Fact]
    public void Scan_BundledModels_AllValid()
    {
        var snapshot = new FileSystemModelSource(TestPaths.Models).Scan();

        Assert.Contains("iris", snapshot.Models.Keys);
        Assert.All(snapshot.Models.Values, m => Assert.Null(m.ConfigError));
        Assert.Equal([1L, 2], snapshot.Models["iris"].Versions.Keys);
    }

    [Fact]
    public void Scan_NonCanonicalNumber_IsNotAVersion()
    {
        WriteVersion("m", "1");
        WriteVersion("m", "01");
        WriteVersion("m", "002");

        var versions = Scan().Models["m"].Versions;

        Assert.Equal([1L], versions.Keys);
        Assert.EndsWith(Path.Combine("m", "1", "model.onnx"), versions[1].ModelPath, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_DigitFoldersThatAreNotVersions_SaysWhy()
    {
        WriteVersion("m", "1");
        WriteVersion("m", "0001");
        WriteVersion("m", "0");
        WriteVersion("m", "99999999999999999999");
        WriteVersion("m", "samples");
        WriteVersion("m", "v2");
        WriteVersion("one", "01");
        WriteVersion("none", "1");
        WriteVersion("none", "data");

        var models = Scan().Models;

        Assert.Equal([1L], models["m"].Versions.Keys);
        Assert.Equal(
            "folders '0', '0001', '99999999999999999999' are not versions: a version folder is named by a whole number from 1 to 9223372036854775807 without leading zeros",
            models["m"].IgnoredVersionFolders);
        Assert.Empty(models["one"].Versions);
        Assert.StartsWith("folder '01' is not a version: ", models["one"].IgnoredVersionFolders, StringComparison.Ordinal);
        Assert.Null(models["none"].IgnoredVersionFolders);
    }
}
