using AiServe.Bench.Reporting;
using AiServe.Client;

namespace AiServe.Bench;

/// <summary>
/// One aiserve-bench run: parse options -> check the server and model -> build one encoded request -> run each step
/// -> report to the console, and to PREFIX.json / PREFIX.md when --out is given. Exit codes: 0 done, 1 failed (server
/// unreachable, model not ready, a step with no successful request, or the results could not be written), 2 bad
/// command line (including an --out that cannot be written), 130 cancelled (Ctrl+C).
/// The console's own part (Ctrl+C) stays in Program.cs, so that tests can run a whole command.
/// </summary>
internal static class BenchCommand
{
    /// <param name="args">The command line.</param>
    /// <param name="output">Where results go (the console's standard output).</param>
    /// <param name="error">Where errors go (the console's standard error).</param>
    /// <param name="interactive">Whether <paramref name="output"/> is a terminal that can show a live progress line.</param>
    /// <param name="cancellationToken">Stops the run early; the steps run so far are still reported.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool interactive, CancellationToken cancellationToken)
    {
        BenchOptions options;
        ReportFiles? files = null;
        try
        {
            options = BenchOptionsParser.Parse(args);
            if (!options.Help && options.Out is { } prefix)
            {
                files = ReportFiles.Prepare(prefix);
            }
        }
        catch (BenchOptionsException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            await error.WriteLineAsync("run with --help for usage");
            return 2;
        }

        if (options.Help)
        {
            await output.WriteLineAsync(BenchOptionsParser.Usage);
            return 0;
        }

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxConnections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
        };
        using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = options.Url, Timeout = options.Timeout };
        var client = new V2Client(http);

        string? server = null;
        InferRequest request;
        int batch;
        try
        {
            try
            {
                var metadata = await client.ServerMetadataAsync(cancellationToken);
                server = $"{metadata.Name} {metadata.Version}";
            }
            catch (V2ClientException)
            {
                // Server metadata is only for the report; a server without it can still be benchmarked.
            }

            if (!await client.ModelReadyAsync(options.Model, options.Version, cancellationToken))
            {
                await error.WriteLineAsync($"error: model '{options.Model}' is not ready on {options.Url}");
                return 1;
            }

            if (options.InputFile is { } file)
            {
                request = InputFactory.FromFile(file);
                batch = options.BatchGiven ? options.Batch : InputFactory.BatchOf(request, file);
            }
            else
            {
                var model = await client.ModelMetadataAsync(options.Model, options.Version, cancellationToken);
                // Random refuses a batch that no input's dimension 0 can carry, so every request carries this one.
                request = InputFactory.Random(model, options.Batch, options.Seed);
                batch = options.Batch;
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or V2ClientException or InvalidOperationException or TaskCanceledException)
        {
            await error.WriteLineAsync(cancellationToken.IsCancellationRequested ? "cancelled" : $"error: {ex.Message}");
            return cancellationToken.IsCancellationRequested ? 130 : 1;
        }

        EncodedInferRequest encoded;
        try
        {
            encoded = EncodedInferRequest.Encode(request, options.Protocol == BenchProtocol.RestBinary ? InferOptions.Binary : InferOptions.Json);
        }
        catch (ArgumentException ex)
        {
            // Data JSON cannot carry (FP16, BF16, BYTES that are not UTF-8) goes as binary data.
            await error.WriteLineAsync($"error: {ex.Message}{(options.Protocol == BenchProtocol.RestJson ? " (--protocol rest-binary)" : "")}");
            return 1;
        }

        var protocol = options.Protocol == BenchProtocol.RestBinary ? "rest-binary" : "rest-json";
        var input = options.InputFile ?? $"random (seed {options.Seed}): " + string.Join(", ", request.Inputs.Select(i => i.ToString()));
        await output.WriteLineAsync($"aiserve-bench -> {options.Url} {server}");
        await output.WriteLineAsync($"model {options.Model}{(options.Version is null ? "" : $" version {options.Version}")}, {protocol}, batch {batch}, {encoded.Body.Length} B/request, input {input}");
        await output.WriteLineAsync($"per step: {options.Warmup.TotalSeconds} s warm-up + {options.Duration.TotalSeconds} s measured; " +
            (options.RequestRates is { } rates ? $"open loop at {string.Join(",", rates)} requests/s, at most {options.MaxOutstanding} outstanding" : $"concurrency {string.Join(",", options.Concurrency)}"));

        var startedAt = DateTimeOffset.UtcNow;
        var runner = new Runner(client, options, encoded, batch);
        var steps = new List<StepResult>();
        var open = options.RequestRates is not null;
        foreach (var load in options.RequestRates ?? options.Concurrency)
        {
            var step = open ? runner.RunRateStepAsync(load, cancellationToken) : runner.RunStepAsync(load, cancellationToken);
            while (interactive && !step.IsCompleted)
            {
                await Task.WhenAny(step, Task.Delay(250, CancellationToken.None));
                if (runner.Current is { } progress)
                {
                    ConsoleReporter.WriteProgress(output, progress);
                }
            }

            var result = await step;
            if (interactive)
            {
                ConsoleReporter.ClearProgress(output);
            }

            steps.Add(result);
            await output.WriteLineAsync(ConsoleReporter.StepLine(result));
            if (cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        var report = new BenchReport(startedAt, options.Url.AbsoluteUri, options.Model, options.Version, protocol, batch,
            options.Duration.TotalSeconds, options.Warmup.TotalSeconds, input, server, steps);
        await output.WriteLineAsync();
        await output.WriteLineAsync(ConsoleReporter.Table(report));

        if (files is not null)
        {
            try
            {
                await files.WriteAsync(report);
                await output.WriteLineAsync($"wrote {files.JsonPath} and {files.MarkdownPath}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The table above is all that is left of the run: say so plainly, and fail the run.
                await error.WriteLineAsync($"error: the results could not be written to {files.JsonPath} and {files.MarkdownPath}: {ex.Message}");
                return 1;
            }
        }

        return cancellationToken.IsCancellationRequested ? 130 : steps.Any(s => s.Requests == 0) ? 1 : 0;
    }
}
