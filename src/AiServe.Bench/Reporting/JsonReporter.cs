using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiServe.Bench.Reporting;

/// <summary>Writes the results as JSON (snake_case), for scripts and for comparing runs.</summary>
internal static class JsonReporter
{
    public static string Render(BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, BenchJsonContext.Default.BenchReport);
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BenchReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
