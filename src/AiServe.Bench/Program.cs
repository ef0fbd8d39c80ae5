using AiServe.Bench;

// aiserve-bench: BenchCommand is the run (options, checks, steps, reports, exit codes); this file is the console's part.

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops the run and still reports; a second one kills the process as usual.
    if (!cancel.IsCancellationRequested)
    {
        e.Cancel = true;
        cancel.Cancel();
    }
};

return await BenchCommand.RunAsync(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected, cancel.Token);
