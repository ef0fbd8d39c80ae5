using Microsoft.ML.OnnxRuntime;

namespace AiServe.Onnx;

/// <summary>
/// The one ONNX Runtime environment of the process. It must exist before the first session is made (a session
/// would otherwise create a default environment without global thread pools), and it can be made only once.
/// </summary>
public static class OnnxRuntimeEnvironment
{
    private static readonly Lock Gate = new();
    private static int _globalThreads = -1;

    /// <summary>Threads of the global intra-op pool, or 0 when the environment has none.</summary>
    public static int GlobalIntraOpThreads => Math.Max(0, Volatile.Read(ref _globalThreads));

    /// <summary>Creates the environment with the given options the first time; later calls keep the first settings.</summary>
    public static void EnsureCreated(OnnxBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (Gate)
        {
            if (_globalThreads >= 0)
            {
                return;
            }

            var creation = new EnvironmentCreationOptions { logId = "aiserve", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING };
            var threads = GlobalThreadsFor(options, Environment.ProcessorCount);
            if (threads > 0)
            {
                creation.threadOptions = new OrtThreadingOptions
                {
                    GlobalIntraOpNumThreads = threads,
                    GlobalInterOpNumThreads = 1,
                    GlobalSpinControl = options.AllowSpinning,
                };
            }

            OrtEnv.CreateInstanceWithOptions(ref creation);
            Volatile.Write(ref _globalThreads, threads);
        }
    }

    /// <summary>
    /// Threads of the global intra-op pool for these options on this many cores: 0 without global pools; otherwise
    /// the configured count, one per core when it is 0, and never more than the cores (the rule of a model's own pool,
    /// see <see cref="OnnxModelBackend"/>).
    /// </summary>
    public static int GlobalThreadsFor(OnnxBackendOptions options, int processorCount)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.UseGlobalThreadPools)
        {
            return 0;
        }

        return options.GlobalIntraOpThreads > 0 ? Math.Min(options.GlobalIntraOpThreads, processorCount) : processorCount;
    }
}
