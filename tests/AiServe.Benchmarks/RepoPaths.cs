using AiServe.Core.Inference;
using AiServe.Core.Repository;
using AiServe.Onnx;

namespace AiServe.Benchmarks;

/// <summary>Finds the repository (the folder holding AiServe.sln) and loads its models, wherever BenchmarkDotNet runs the process from.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The folder of a model: <c>models/NAME</c>, or <c>tests/fixtures/repos/perf/NAME</c> for the benchmark-only models.</summary>
    public static string ModelFolder(string name)
    {
        var folder = Path.Combine(Root, "models", name);
        return Directory.Exists(folder) ? folder : Path.Combine(Root, "tests", "fixtures", "repos", "perf", name);
    }

    public static ModelConfig Config(string name) =>
        ModelConfigLoader.Parse(File.ReadAllText(Path.Combine(ModelFolder(name), ModelConfigLoader.FileName)), name);

    /// <summary>Loads version 1 of a model into ONNX Runtime the way the server does.</summary>
    public static IModelInstance Load(string name) =>
        new OnnxModelBackend().Load(new ModelLoadRequest(name, 1, Path.Combine(ModelFolder(name), "1", "model.onnx"), Config(name)));

    private static string FindRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AiServe.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("cannot find AiServe.sln above " + AppContext.BaseDirectory);
    }
}
