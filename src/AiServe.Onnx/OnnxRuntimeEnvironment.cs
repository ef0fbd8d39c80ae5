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
            var threads = 0;
            if (options.UseGlobalThreadPools)
            {
                threads = options.GlobalIntraOpThreads > 0 ? options.GlobalIntraOpThreads : Environment.ProcessorCount;
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
}
