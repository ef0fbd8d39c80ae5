namespace AiServe.Server.Hosting;

/// <summary>
/// The .NET thread pool's minimum of worker threads (<c>AiServe:ThreadPool:MinWorkerThreads</c>). A model run is a
/// synchronous ONNX Runtime call that holds the pool thread it runs on (the batcher's worker, or the request's own thread
/// when it runs inline) until the run ends. The pool starts with one worker per core and adds more only as its
/// hill climbing sees fit, so on a small machine a run in progress leaves fewer threads than cores to read requests and
/// answer them; under overload, refusals then wait for a thread. Below the minimum the pool adds a thread as soon as
/// work waits for one.
/// </summary>
internal static class ThreadPoolExtensions
{
    /// <summary>The configuration key.</summary>
    public const string MinWorkerThreadsKey = $"{AiServeOptions.SectionName}:ThreadPool:MinWorkerThreads";

    /// <summary>Workers per core when the setting is absent (measured in docs/PERFORMANCE.md, "Eleventh session").</summary>
    public const int DefaultWorkersPerCore = 4;

    /// <summary>The most the setting may ask for (.NET's own ceiling of worker threads).</summary>
    public const int MaxWorkerThreads = 32767;

    /// <summary>
    /// Raises the pool's minimum of worker threads to the configured number (never lowers it below .NET's own minimum,
    /// or one set by <c>DOTNET_ThreadPool_ForceMinWorkerThreads</c> or runtimeconfig.json).
    /// </summary>
    public static WebApplicationBuilder AddAiServeThreadPool(this WebApplicationBuilder builder)
    {
        var wanted = MinWorkerThreads(builder.Configuration[MinWorkerThreadsKey], Environment.ProcessorCount);
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (wanted > workers && !ThreadPool.SetMinThreads(wanted, completionPorts))
        {
            ThreadPool.GetMaxThreads(out var maxWorkers, out _);
            throw new InvalidOperationException(
                $"{MinWorkerThreadsKey} is {wanted}, more than the thread pool's maximum of {maxWorkers} worker threads");
        }

        return builder;
    }

    /// <summary>The minimum the setting asks for: its value, or <see cref="DefaultWorkersPerCore"/> per core when it is absent.</summary>
    /// <exception cref="InvalidOperationException">The value is not a whole number from 1 to <see cref="MaxWorkerThreads"/>.</exception>
    public static int MinWorkerThreads(string? configured, int processorCount)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return DefaultWorkersPerCore * processorCount;
        }

        if (!int.TryParse(configured, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var wanted)
            || wanted is < 1 or > MaxWorkerThreads)
        {
            throw new InvalidOperationException(
                $"{MinWorkerThreadsKey} must be a whole number from 1 to {MaxWorkerThreads} (threads), not '{configured}'");
        }

        return wanted;
    }
}
