using System.Text.Json;
using AiServe.Core.Inference;

namespace AiServe.Tests.Common;

/// <summary>
/// A pipeline parity fixture, tests/fixtures/&lt;model&gt;/pipeline.json, written by the model's Python side:
/// raw client records, the exact preprocessed tensors, the model's outputs and the friendly predictions.
/// </summary>
public sealed class PipelineFixture
{
    private PipelineFixture(string model, JsonElement root)
    {
        Model = model;
        Root = root;
        Records = root.GetProperty("records").EnumerateArray().ToArray();
        Tensors = ModelFixture.ReadTensors(root.GetProperty("tensors"));
        Outputs = ModelFixture.ReadTensors(root.GetProperty("outputs"));
        Predictions = root.GetProperty("predictions").EnumerateArray().ToArray();
    }

    public string Model { get; }

    public JsonElement Root { get; }

    public IReadOnlyList<JsonElement> Records { get; }

    public IReadOnlyList<Tensor> Tensors { get; }

    public IReadOnlyList<Tensor> Outputs { get; }

    public IReadOnlyList<JsonElement> Predictions { get; }

    /// <summary>The model's version folder in the bundled repository (where its pipeline.json is).</summary>
    public string VersionDirectory => Path.Combine(TestPaths.Models, Model, Root.GetProperty("version").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static PipelineFixture Load(string model)
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, model, "pipeline.json"))).RootElement.Clone();
        return new PipelineFixture(model, root);
    }

    public Tensor Tensor(string name) => Tensors.Single(t => t.Name == name);
}
