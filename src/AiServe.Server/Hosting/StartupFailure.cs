namespace AiServe.Server.Hosting;

/// <summary>How the process ends when a setting is out of range.</summary>
internal static class StartupFailure
{
    private static int _registered;

    /// <summary>
    /// A setting out of range stops the start (when the host is built or starts): the process says which in one line
    /// and exits 1, rather than abort on the unhandled exception (exit code 134, and a core dump where those are on).
    /// Registered once per process; hosts in tests catch the exception themselves, so it never reaches this.
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
                Microsoft.Extensions.Options.OptionsValidationException one => [one],
                AggregateException many when many.InnerExceptions.All(i => i is Microsoft.Extensions.Options.OptionsValidationException) => many.InnerExceptions,
                _ => null,
            };
            if (failures is not null)
            {
                foreach (var failure in failures)
                {
                    Console.Error.WriteLine($"AiServe cannot start: {failure.Message}");
                }

                Environment.Exit(1);
            }
        };
    }
}
