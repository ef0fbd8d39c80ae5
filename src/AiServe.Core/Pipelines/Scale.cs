namespace AiServe.Core.Pipelines;

/// <summary>
/// A validated <see cref="ScaleConfig"/> as x' = (x - Offset) / Divisor: standard is (mean, std), minmax is
/// (min, max - min). Numeric features apply it; regression postprocessing inverts it (the target's scaling).
/// </summary>
internal readonly record struct Scale(double Offset, double Divisor)
{
    /// <summary>No scaling.</summary>
    public static readonly Scale Identity = new(0.0, 1.0);

    /// <exception cref="Repository.ModelConfigException">The section is invalid; the message names <paramref name="path"/>.</exception>
    public static Scale From(ScaleConfig config, string path) => config switch
    {
        { Method: "standard", Mean: { } mean, Std: { } std } when std > 0 => new(mean, std),
        { Method: "minmax", Min: { } min, Max: { } max } when max > min => new(min, max - min),
        { Method: "standard" } => throw PipelineLoader.Invalid(path, "standard needs mean and a positive std"),
        { Method: "minmax" } => throw PipelineLoader.Invalid(path, "minmax needs min < max"),
        _ => throw PipelineLoader.Invalid($"{path}.method", $"'{config.Method}' is not supported; use standard or minmax"),
    };

    public double Apply(double x) => (x - Offset) / Divisor;

    public double Invert(double y) => (y * Divisor) + Offset;
}
