namespace AiServe.Onnx;

/// <summary>Process-wide ONNX Runtime settings (server configuration section <c>AiServe:Onnx</c>).</summary>
public sealed class OnnxBackendOptions
{
    /// <summary>
    /// Share one intra-op thread pool between every loaded session (default), so that loading many models never
    /// multiplies threads past the cores. A model whose model.json sets <c>onnx.intra_op_threads</c> or
    /// <c>onnx.inter_op_threads</c> opts out and gets its own pool of that size.
    /// </summary>
    public bool UseGlobalThreadPools { get; set; } = true;

    /// <summary>
    /// Threads of the shared pool; 0 means every core the process may use (<see cref="Environment.ProcessorCount"/>,
    /// which .NET already limits to a container's CPU quota), and more than the cores counts as that many. Negative
    /// values are refused at start.
    /// </summary>
    public int GlobalIntraOpThreads { get; set; }

    /// <summary>
    /// Let pool threads spin briefly waiting for work (lower latency for back-to-back runs, but spinning threads
    /// take CPU from the web server on small machines). Off by default.
    /// </summary>
    public bool AllowSpinning { get; set; }
}
