using System.ComponentModel.DataAnnotations;

namespace AiServe.Server.Hosting;

/// <summary>Server settings, section <c>AiServe</c> of configuration (appsettings.json, AiServe__X__Y environment variables, command line).</summary>
public sealed class AiServeOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "AiServe";

    /// <summary>Where models come from.</summary>
    public RepositoryOptions Repository { get; set; } = new();

    /// <summary>Request size limits.</summary>
    public LimitsOptions Limits { get; set; } = new();

    /// <summary>Graceful shutdown.</summary>
    public ShutdownOptions Shutdown { get; set; } = new();

    /// <summary>
    /// The ranges of the sections' settings: data-annotation validation checks the attributes of this class's own
    /// properties only, not those of the objects they hold.
    /// </summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, section) in new (string, object)[] { (nameof(Repository), Repository), (nameof(Limits), Limits), (nameof(Shutdown), Shutdown) })
        {
            var results = new List<ValidationResult>();
            Validator.TryValidateObject(section, new ValidationContext(section), results, validateAllProperties: true);
            foreach (var result in results)
            {
                var members = result.MemberNames.Select(member => $"{SectionName}:{name}:{member}").ToArray();
                yield return new ValidationResult($"{string.Join(", ", members)}: {result.ErrorMessage}", members);
            }
        }
    }
}

/// <summary>What happens on SIGTERM: drain, then stop.</summary>
public sealed class ShutdownOptions
{
    /// <summary>
    /// Seconds between turning readiness to 503 and refusing new requests, so that load balancers notice first
    /// and no client is cut off (default 5).
    /// </summary>
    [Range(0.0, 3600.0)]
    public double DrainDelaySeconds { get; set; } = 5;

    /// <summary>The most seconds to wait for requests in flight and in queues to finish before stopping (default 30).</summary>
    [Range(0.0, 3600.0)]
    public double DrainTimeoutSeconds { get; set; } = 30;
}

/// <summary>The model repository.</summary>
public sealed class RepositoryOptions : IValidatableObject
{
    /// <summary>
    /// The repository folder. Relative paths are resolved against the working directory; when the default
    /// <c>models</c> is not found there, the <c>models</c> folder of the AiServe checkout is used.
    /// </summary>
    [Required]
    public string Path { get; set; } = "models";

    /// <summary>How often the repository is scanned for changes; 0 turns polling off.</summary>
    [Range(0.0, 86400.0)]
    public double PollIntervalSeconds { get; set; } = 5;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A timer ticks at most every millisecond; a shorter interval stopped the server after it had started.
        if (PollIntervalSeconds is > 0 and < 0.001)
        {
            yield return new ValidationResult("must be 0 (polling off) or at least 0.001 seconds", [nameof(PollIntervalSeconds)]);
        }
    }
}

/// <summary>Limits on what a client may send.</summary>
public sealed class LimitsOptions
{
    /// <summary>The largest request body accepted, in bytes (64 MiB by default).</summary>
    [Range(1024, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 64L * 1024 * 1024;
}
