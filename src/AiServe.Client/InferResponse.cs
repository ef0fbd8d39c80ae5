namespace AiServe.Client;

/// <summary>A decoded infer response.</summary>
public sealed class InferResponse
{
    internal InferResponse(string modelName, string? modelVersion, string? id, IReadOnlyList<InferTensor> outputs)
    {
        ModelName = modelName;
        ModelVersion = modelVersion;
        Id = id;
        Outputs = outputs;
    }

    /// <summary>The model that answered.</summary>
    public string ModelName { get; }

    /// <summary>The version that answered, when the server says.</summary>
    public string? ModelVersion { get; }

    /// <summary>The request's id, when it had one.</summary>
    public string? Id { get; }

    /// <summary>The outputs in the server's order, decoded from JSON <c>data</c> or from binary data.</summary>
    public IReadOnlyList<InferTensor> Outputs { get; }

    /// <summary>The output named <paramref name="name"/>.</summary>
    /// <param name="name">The output's name.</param>
    /// <exception cref="KeyNotFoundException">The response has no such output.</exception>
    public InferTensor this[string name] =>
        Outputs.FirstOrDefault(o => o.Name == name)
        ?? throw new KeyNotFoundException($"the response has no output '{name}'; it has {string.Join(", ", Outputs.Select(o => o.Name))}");
}
