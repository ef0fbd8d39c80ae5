namespace AiServe.Bench;

/// <summary>What one bench run does; produced by <see cref="BenchOptionsParser"/>, defaults here.</summary>
internal sealed record BenchOptions
{
    /// <summary>The server's root URL.</summary>
    public Uri Url { get; init; } = new("http://127.0.0.1:8080/");

    /// <summary>The model to load (required).</summary>
    public string Model { get; init; } = "";

    /// <summary>The model version; null for the server's default.</summary>
    public string? Version { get; init; }

    /// <summary>JSON or binary tensor data.</summary>
    public BenchProtocol Protocol { get; init; } = BenchProtocol.RestJson;

    /// <summary>Inferences per request: dimension 0 of random inputs, and the factor from requests/s to inferences/s.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Whether <c>--batch</c> was given (otherwise an input file's first dimension is the batch).</summary>
    public bool BatchGiven { get; init; }

    /// <summary>The concurrency steps, each a number of closed-loop workers.</summary>
    public IReadOnlyList<int> Concurrency { get; init; } = [1];

    /// <summary>Open-loop steps instead: requests per second, each sent when due whatever the answers (null: closed loop).</summary>
    public IReadOnlyList<int>? RequestRates { get; init; }

    /// <summary>In open-loop steps, the most requests outstanding at once; a request due beyond it is not sent.</summary>
    public int MaxOutstanding { get; init; } = 1000;

    /// <summary>
    /// The HTTP connections the run may open: the largest concurrency step (closed loop), or the outstanding limit
    /// (open loop), so that the client's connection pool never holds requests back.
    /// </summary>
    public int MaxConnections => RequestRates is null ? Concurrency.Max() : MaxOutstanding;

    /// <summary>Whether <c>--concurrency</c> was given.</summary>
    public bool ConcurrencyGiven { get; init; }

    /// <summary>How long each step is measured.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long each step runs before measuring starts.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A JSON V2 infer request to send instead of random inputs.</summary>
    public string? InputFile { get; init; }

    /// <summary>Seed of the random inputs.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Per-request timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Path prefix of the result files (<c>PREFIX.json</c>, <c>PREFIX.md</c>); none written when null.</summary>
    public string? Out { get; init; }

    /// <summary>Print usage and exit.</summary>
    public bool Help { get; init; }
}
