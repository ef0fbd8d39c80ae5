using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiServe.Core.Pipelines;

/// <summary>One feature of a tabular record: reads its field and writes its columns. Immutable and thread-safe.</summary>
internal interface IFeatureStep
{
    /// <summary>The field name.</summary>
    string Name { get; }

    /// <summary>How many columns the feature writes.</summary>
    int Width { get; }

    /// <summary>Whether a record must have the field (no impute value).</summary>
    bool Required { get; }

    /// <summary>Writes the feature's columns for one record; returns a note when the value is flagged (else null).</summary>
    /// <exception cref="Inference.InferenceException">The field is missing without an impute value, or holds a wrong or unknown value.</exception>
    JsonObject? Encode(JsonElement record, int recordIndex, Span<double> destination);

    /// <summary>The JSON Schema of the field.</summary>
    JsonObject Schema();

    /// <summary>An example value.</summary>
    JsonNode Example();
}
