using System.Text.Json;
using AiServe.Core.Inference;

namespace AiServe.Tests.Common;

/// <summary>
/// Inputs and the training framework's outputs for them, written by a model's train.py to tests/fixtures:
/// <c>{"inputs": {name: {datatype, shape, data}}, "outputs": {name: {datatype, shape, data}}}</c>.
/// </summary>
public sealed class ModelFixture
{
    private ModelFixture(JsonElement root, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        Root = root;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The whole fixture document (for extra fields such as true labels).</summary>
    public JsonElement Root { get; }

    public IReadOnlyList<Tensor> Inputs { get; }

    public IReadOnlyList<Tensor> Outputs { get; }

    /// <summary>Loads tests/fixtures/<paramref name="model"/>/<paramref name="file"/>.</summary>
    public static ModelFixture Load(string model, string file)
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, model, file))).RootElement.Clone();
        return new ModelFixture(root, ReadTensors(root.GetProperty("inputs")), ReadTensors(root.GetProperty("outputs")));
    }

    public Tensor Output(string name) => Outputs.Single(t => t.Name == name);

    /// <summary>The V2 JSON of the inputs, for requests.</summary>
    public string InputsAsV2Json() => JsonSerializer.Serialize(Root.GetProperty("inputs").EnumerateObject().Select(p => new Dictionary<string, object>
    {
        ["name"] = p.Name,
        ["datatype"] = p.Value.GetProperty("datatype").GetString()!,
        ["shape"] = p.Value.GetProperty("shape"),
        ["data"] = p.Value.GetProperty("data"),
    }));

    /// <summary>Reads a fixture's <c>{name: {datatype, shape, data}}</c> object into tensors.</summary>
    internal static List<Tensor> ReadTensors(JsonElement tensors)
    {
        var result = new List<Tensor>();
        foreach (var property in tensors.EnumerateObject())
        {
            var datatype = property.Value.GetProperty("datatype").GetString();
            if (!TensorDataTypes.TryParse(datatype, out var type))
            {
                throw new InvalidDataException($"fixture tensor '{property.Name}' has unknown datatype '{datatype}'");
            }

            var shape = property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            result.Add(TensorJson.Decode(property.Value.GetProperty("data"), property.Name, type, shape));
        }

        return result;
    }
}
