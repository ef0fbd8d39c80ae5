using System.Globalization;

namespace AiServe.Bench;

/// <summary>Parses the command line by hand: <c>--name value</c> or <c>--name=value</c>; every mistake is a <see cref="BenchOptionsException"/>.</summary>
internal static class BenchOptionsParser
{
    /// <summary>
    /// The most closed-loop workers, or open-loop requests outstanding: each may hold a connection, and a client
    /// has about 64 K ports to one server.
    /// </summary>
    public const int MaxConcurrency = 65_536;

    /// <summary>
    /// The longest --duration, --warmup or --timeout, a week: well inside what a step's Stopwatch timestamps and
    /// HttpClient.Timeout (at most 24.8 days) hold.
    /// </summary>
    public const int MaxSeconds = 7 * 24 * 3600;

    public const string Usage = """
        aiserve-bench: closed- or open-loop load generator for Open Inference Protocol (KServe V2) REST servers.

        Usage:
          aiserve-bench --model NAME [options]

        Options:
          --url URL               server root (default http://127.0.0.1:8080)
          --model NAME            model to load (required)
          --version V             model version (default: the server's choice)
          --protocol P            rest-json | rest-binary (default rest-json)
          --batch N               inferences per request: dimension 0 of random inputs (default 1)
          --concurrency LIST      comma-separated worker counts, one step each (default 1, at most 65536), e.g. 1,4,16,64
          --request-rate LIST     open loop instead: requests per second, one step each, e.g. 1000,4000; requests
                                  start when due whatever the answers, latency counts from the due time, no retries
          --max-outstanding N     open loop: most requests in flight (default 1000, at most 65536); one due beyond
                                  it is not sent and counts as a not-sent error
          --duration SECONDS      measured time per step (default 10; durations and timeouts at most 604800, a week)
          --warmup SECONDS        unmeasured time before each step (default 2)
          --input-file PATH       send this JSON V2 infer request instead of random inputs
                                  (its first input's dimension 0 is the batch unless --batch is given)
          --seed N                seed of the random inputs (default 42)
          --timeout SECONDS       per-request timeout (default 30)
          --out PREFIX            write PREFIX.json and PREFIX.md (a directory: DIR/results.*)
          -h, --help              show this text

        Random inputs follow the model's metadata: a -1 in dimension 0 becomes --batch, any other -1 becomes 1 (so a
        --batch above 1 needs an input whose dimension 0 is -1).
        Throughput is inferences/s = successful requests/s x batch. A request still unanswered 1 s after its step's
        end is cut off and counts as unfinished. Ctrl+C stops early and still reports.
        """;

    /// <exception cref="BenchOptionsException">An unknown option, a missing or malformed value, or no --model.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help" or "-?")
            {
                return options with { Help = true };
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new BenchOptionsException($"unexpected argument '{arg}'; options start with --");
            }

            string name;
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
            }

            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new BenchOptionsException($"{name} needs a value");
                }

                return args[++i];
            }

            options = name switch
            {
                "--url" => options with { Url = ParseUrl(Value()) },
                "--model" => options with { Model = NotEmpty(name, Value()) },
                "--version" => options with { Version = NotEmpty(name, Value()) },
                "--protocol" => options with { Protocol = ParseProtocol(Value()) },
                "--batch" => options with { Batch = PositiveInt(name, Value()), BatchGiven = true },
                "--concurrency" => options with { Concurrency = ParseList(name, Value(), MaxConcurrency), ConcurrencyGiven = true },
                "--request-rate" => options with { RequestRates = ParseList(name, Value(), int.MaxValue) },
                "--max-outstanding" => options with { MaxOutstanding = PositiveInt(name, Value(), MaxConcurrency) },
                "--duration" => options with { Duration = Seconds(name, Value(), allowZero: false) },
                "--warmup" => options with { Warmup = Seconds(name, Value(), allowZero: true) },
                "--input-file" => options with { InputFile = NotEmpty(name, Value()) },
                "--seed" => options with { Seed = Int(name, Value()) },
                "--timeout" => options with { Timeout = Seconds(name, Value(), allowZero: false) },
                "--out" => options with { Out = NotEmpty(name, Value()) },
                _ => throw new BenchOptionsException($"unknown option '{name}'"),
            };
        }

        if (options.Model.Length == 0)
        {
            throw new BenchOptionsException("--model is required");
        }

        if (options.ConcurrencyGiven && options.RequestRates is not null)
        {
            throw new BenchOptionsException("give --concurrency (closed loop) or --request-rate (open loop), not both");
        }

        return options;
    }

    private static Uri ParseUrl(string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new BenchOptionsException($"--url must be an absolute http:// or https:// URL, got '{value}'");
        }

        // A trailing slash makes the URL a root that paths are appended to.
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    private static BenchProtocol ParseProtocol(string value) => value switch
    {
        "rest-json" => BenchProtocol.RestJson,
        "rest-binary" => BenchProtocol.RestBinary,
        _ => throw new BenchOptionsException($"--protocol must be rest-json or rest-binary, got '{value}'"),
    };

    private static int[] ParseList(string name, string value, int max)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        var list = parts.Select(p => PositiveInt(name, p, max)).ToArray();
        return list.Length > 0 ? list : throw new BenchOptionsException($"{name} needs at least one number");
    }

    private static int Int(string name, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new BenchOptionsException($"{name} must be an integer, got '{value}'");

    private static int PositiveInt(string name, string value, int max = int.MaxValue)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            // Digits past int's range are a number too large, not a malformed one.
            throw new BenchOptionsException(value.Length > 0 && value.All(char.IsAsciiDigit) && value.TrimStart('0').Length > 0
                ? $"{name} must be at most {max}, got '{value}'"
                : $"{name} must be a positive integer, got '{value}'");
        }

        return n <= max ? n : throw new BenchOptionsException($"{name} must be at most {max}, got '{value}'");
    }

    private static TimeSpan Seconds(string name, string value, bool allowZero)
    {
        if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            || !double.IsFinite(seconds) || (seconds == 0 && !allowZero))
        {
            throw new BenchOptionsException($"{name} must be a {(allowZero ? "non-negative" : "positive")} number of seconds, got '{value}'");
        }

        if (seconds > MaxSeconds)
        {
            throw new BenchOptionsException($"{name} must be at most {MaxSeconds} seconds (a week), got '{value}'");
        }

        // Below a tick (100 ns) a time is zero, which a timeout or a step cannot be.
        var time = TimeSpan.FromSeconds(seconds);
        return time > TimeSpan.Zero || allowZero
            ? time
            : throw new BenchOptionsException($"{name} must be at least 0.0000001 seconds (100 ns), got '{value}'");
    }

    private static string NotEmpty(string name, string value) =>
        value.Length > 0 ? value : throw new BenchOptionsException($"{name} needs a non-empty value");
}
