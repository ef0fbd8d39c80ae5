namespace AiServe.Server.Hosting;

/// <summary>How the process ends when it cannot start for a reason the operator must fix.</summary>
internal static class StartupFailure
{
    private static int _registered;

    /// <summary>
    /// A setting out of range, or an address another process already listens on, stops the start (when the host is
    /// built or starts): the process says why in one line and exits 1, rather than abort on the unhandled exception
    /// (exit code 134, a stack trace, and a core dump where those are on). Registered once per process; hosts in
    /// tests catch the exception themselves, so it never reaches this.
    /// </summary>
    public static void ExitWithOneLine()
    {
        if (Interlocked.Exchange(ref _registered, 1) != 0)
        {
            return;
        }

        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            // Several options classes failing at once come as one AggregateException.
            var failures = e.ExceptionObject switch
            {
                AggregateException many when many.InnerExceptions.All(i => Reason(i) is not null) => many.InnerExceptions.Select(i => Reason(i)!).ToList(),
                var one when Reason(one) is { } reason => [reason],
                _ => null,
            };
            if (failures is not null)
            {
                foreach (var failure in failures)
                {
                    Console.Error.WriteLine($"AiServe cannot start: {failure}");
                }

                Environment.Exit(1);
            }
        };
    }

    /// <summary>The one line for a failure the operator must fix; null for any other (a bug, which keeps its trace).</summary>
    private static string? Reason(object failure) => failure switch
    {
        Microsoft.Extensions.Options.OptionsValidationException invalid => invalid.Message,

        // Kestrel: "Failed to bind to address http://127.0.0.1:8000: address already in use."
        IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException } bind => bind.Message,
        _ => null,
    };
}
