using System.Text.Json;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>The client errors of every pipeline step, worded alike: "record 3: field 'x': problem".</summary>
internal static class PipelineErrors
{
    public static InferenceException Field(int record, string field, string problem) =>
        new(InferenceErrorCode.InvalidArgument, $"record {record}: field '{field}' {problem}");

    public static InferenceException Record(int record, string problem) =>
        new(InferenceErrorCode.InvalidArgument, $"record {record}: {problem}");

    public static InferenceException Output(string problem) =>
        new(InferenceErrorCode.Internal, $"pipeline postprocess: {problem}");

    public static InferenceException MissingRequired(int record, string field) =>
        Field(record, field, "is required (missing, and the feature has no impute value)");

    /// <summary>A wrong value for an error message: a string quoted as written, anything else by its kind.</summary>
    public static string Describe(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? $"'{value.GetString()}'" : Describe(value.ValueKind);

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "nothing",
    };
}
