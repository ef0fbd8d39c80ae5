using AiServe.Core.Inference;
using AiServe.Core.Repository;
using Microsoft.ML.OnnxRuntime;

namespace AiServe.Onnx;

/// <summary>Loads ONNX files into ONNX Runtime sessions configured from model.json's <c>onnx</c> section.</summary>
public sealed class OnnxModelBackend : IModelBackend
{
    /// <summary>Creates the backend with default options (global thread pools over every core).</summary>
    public OnnxModelBackend()
        : this(new OnnxBackendOptions())
    {
    }

    /// <summary>Creates the backend; the first backend of the process decides the ONNX Runtime environment.</summary>
    public OnnxModelBackend(OnnxBackendOptions options)
    {
        OnnxRuntimeEnvironment.EnsureCreated(options);
    }

    /// <inheritdoc />
    public IModelInstance Load(ModelLoadRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!File.Exists(request.ModelPath))
        {
            throw new InferenceException(InferenceErrorCode.NotFound, $"model file '{request.ModelPath}' does not exist");
        }

        var options = CreateSessionOptions(request.Config.Onnx ?? new OnnxConfig());
        try
        {
            InferenceSession session;
            try
            {
                session = new InferenceSession(request.ModelPath, options);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new InferenceException(InferenceErrorCode.Unavailable, $"ONNX Runtime cannot load '{request.ModelPath}': {ex.Message}", ex);
            }

            try
            {
                return new OnnxModelInstance(session, options);
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    private static SessionOptions CreateSessionOptions(OnnxConfig config)
    {
        // An explicit per-model thread count is capped at the cores the process may use (the container's quota
        // included): more threads than cores never run at once, and ONNX Runtime would try to start every one of a
        // typo's hundred thousand.
        var intraOp = Math.Min(config.IntraOpThreads, Environment.ProcessorCount);
        var interOp = Math.Min(config.InterOpThreads, Environment.ProcessorCount);
        var options = new SessionOptions
        {
            ExecutionMode = interOp > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = config.GraphOptimizationLevel switch
            {
                "disable" => GraphOptimizationLevel.ORT_DISABLE_ALL,
                "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
        };

        if (OnnxRuntimeEnvironment.GlobalIntraOpThreads > 0 && config.IntraOpThreads == 0 && config.InterOpThreads == 0)
        {
            // Share the process-wide pool: the thread budget stays at the core count however many models load.
            options.DisablePerSessionThreads();
        }
        else
        {
            // An explicit per-model thread count is an opt-out of the shared pool (see OnnxBackendOptions).
            options.IntraOpNumThreads = intraOp;
            options.InterOpNumThreads = interOp;
        }

        foreach (var provider in config.ExecutionProviders)
        {
            if (!string.Equals(provider, "cpu", StringComparison.OrdinalIgnoreCase))
            {
                options.Dispose();
                throw new InferenceException(InferenceErrorCode.Unsupported,
                    $"execution provider '{provider}' is not available in this build of AiServe; use \"cpu\"");
            }
        }

        return options;
    }
}
