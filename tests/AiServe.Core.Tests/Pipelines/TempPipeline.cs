using System.Text.Json;
using AiServe.Core.Pipelines;

namespace AiServe.Core.Tests.Pipelines;

/// <summary>Writes a pipeline.json (and the files it names) into a fresh temporary version folder and loads it.</summary>
internal static class TempPipeline
{
    public static IPipeline Load(string json, params (string Name, string Text)[] files) => PipelineLoader.Load(Write(json, files))!;

    public static string Write(string json, params (string Name, string Text)[] files)
    {
        var dir = Path.Combine(Path.GetTempPath(), "aiserve-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, PipelineLoader.FileName), json);
        foreach (var (name, text) in files)
        {
            File.WriteAllText(Path.Combine(dir, name), text);
        }

        return dir;
    }

    public static JsonElement Record(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static float[] Row(IPipeline pipeline, string recordJson) => pipeline.Preprocess([Record(recordJson)])[0].AsSpan<float>().ToArray();
}
