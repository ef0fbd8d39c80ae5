namespace AiServe.Tests.Common;

/// <summary>A model repository in a temporary folder, deleted on dispose; tests change it while a server watches.</summary>
public sealed class TempModelRepository : IDisposable
{
    public TempModelRepository()
    {
        Root = Path.Combine(Path.GetTempPath(), "aiserve-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Copies a whole model folder (config and versions) from another repository.</summary>
    public TempModelRepository CopyModel(string sourceRepository, string model, string? as_ = null)
    {
        CopyDirectory(Path.Combine(sourceRepository, model), Path.Combine(Root, as_ ?? model));
        return this;
    }

    /// <summary>Copies one version folder of a model from another repository, as <paramref name="asVersion"/>.</summary>
    public TempModelRepository CopyVersion(string sourceRepository, string model, int version, int? asVersion = null, string? asModel = null)
    {
        CopyDirectory(Path.Combine(sourceRepository, model, version.ToString()), Path.Combine(Root, asModel ?? model, (asVersion ?? version).ToString()));
        return this;
    }

    /// <summary>Copies one ONNX file (e.g. from tests/fixtures/onnx) as a version's model file.</summary>
    public TempModelRepository CopyModelFile(string file, string model, int version)
    {
        var dir = Path.Combine(Root, model, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        File.Copy(file, Path.Combine(dir, "model.onnx"), overwrite: true);
        return this;
    }

    /// <summary>Writes model.json of a model.</summary>
    public TempModelRepository WriteConfig(string model, string json)
    {
        Directory.CreateDirectory(Path.Combine(Root, model));
        File.WriteAllText(Path.Combine(Root, model, "model.json"), json);
        return this;
    }

    /// <summary>Writes bytes that are not an ONNX model as a version's model file.</summary>
    public TempModelRepository WriteCorruptVersion(string model, int version)
    {
        var dir = Path.Combine(Root, model, version.ToString());
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), "this is not an onnx file"u8.ToArray());
        return this;
    }

    public void RemoveVersion(string model, int version) => Directory.Delete(Path.Combine(Root, model, version.ToString()), recursive: true);

    public void RemoveModel(string model) => Directory.Delete(Path.Combine(Root, model), recursive: true);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still open (e.g. by a server shutting down) leaves a temp folder behind.
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }

        foreach (var dir in Directory.GetDirectories(from))
        {
            CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }
}
