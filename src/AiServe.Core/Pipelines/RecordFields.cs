using System.Globalization;
using System.Text.Json;

namespace AiServe.Core.Pipelines;

/// <summary>Reads fields of a client record with the pipelines' one notion of "missing".</summary>
internal static class RecordFields
{
    /// <summary>
    /// The field's value, or false when it is missing: absent, null, "" or "NaN" (any case; JSON has no NaN
    /// number, so clients and pandas write it as a string).
    /// </summary>
    public static bool TryGet(JsonElement record, string name, out JsonElement value)
    {
        if (!record.TryGetProperty(name, out value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        return value.ValueKind != JsonValueKind.String || !IsMissingText(value.GetString()!);
    }

    public static bool IsMissingText(string text) => text.Length == 0 || text.Equals("nan", StringComparison.OrdinalIgnoreCase);

    /// <summary>A number, or a string holding one (invariant culture); null for anything else.</summary>
    public static double? AsNumber(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    /// <summary>An id or category as text: a string as is, a number as written (2008 -> "2008"); null for anything else.</summary>
    public static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    /// <summary>Requires each record to be a JSON object.</summary>
    public static void RequireObject(JsonElement record, int index, string expected)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            throw PipelineErrors.Record(index, $"must be an object {expected}, found {PipelineErrors.Describe(record.ValueKind)}");
        }
    }
}
