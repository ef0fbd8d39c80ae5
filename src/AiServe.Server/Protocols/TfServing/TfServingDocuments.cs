using System.Text.Json.Serialization;

namespace AiServe.Server.Protocols.TfServing;

// The JSON bodies of TensorFlow Serving's REST API, field for field.

/// <summary>An error: <c>{"error": "..."}</c>.</summary>
public sealed record TfError([property: JsonPropertyName("error")] string Error);

/// <summary>The status of a model's versions.</summary>
public sealed record TfModelStatus([property: JsonPropertyName("model_version_status")] IReadOnlyList<TfVersionStatus> ModelVersionStatus);

/// <summary>One version's state (UNKNOWN, START, LOADING, AVAILABLE, UNLOADING, END).</summary>
public sealed record TfVersionStatus(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("status")] TfStatus Status);

/// <summary>An error code and message (OK and "" when healthy).</summary>
public sealed record TfStatus(
    [property: JsonPropertyName("error_code")] string ErrorCode,
    [property: JsonPropertyName("error_message")] string ErrorMessage);

/// <summary>A predict request in row (<c>instances</c>) or columnar (<c>inputs</c>) form (for documentation).</summary>
public sealed record TfPredictRequestDocument(
    [property: JsonPropertyName("signature_name")] string? SignatureName,
    [property: JsonPropertyName("instances")] IReadOnlyList<object>? Instances,
    [property: JsonPropertyName("inputs")] object? Inputs);

/// <summary>A predict response: <c>predictions</c> for row requests, <c>outputs</c> for columnar ones (for documentation).</summary>
public sealed record TfPredictResponseDocument(
    [property: JsonPropertyName("predictions")] IReadOnlyList<object>? Predictions,
    [property: JsonPropertyName("outputs")] object? Outputs);

/// <summary>A classify or regress request: records as <c>examples</c>, shared fields in <c>context</c> (for documentation).</summary>
public sealed record TfExamplesRequestDocument(
    [property: JsonPropertyName("signature_name")] string? SignatureName,
    [property: JsonPropertyName("context")] object? Context,
    [property: JsonPropertyName("examples")] IReadOnlyList<object> Examples);

/// <summary>
/// A classify answer (<c>results</c>: per example, [label, score] pairs) or a regress answer (<c>results</c>: per
/// example, a value) (for documentation).
/// </summary>
public sealed record TfExamplesResponseDocument([property: JsonPropertyName("results")] IReadOnlyList<object> Results);
