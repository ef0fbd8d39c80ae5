using AiServe.Core.Inference;

namespace AiServe.Server.Protocols.OpenInference;

/// <summary>A decoded V2 infer request: the protocol-neutral request plus how the client wants outputs encoded.</summary>
internal sealed class V2InferRequest(InferenceRequest request, bool binaryDataOutput, IReadOnlyDictionary<string, bool>? outputBinary, bool rawMode)
{
    public InferenceRequest Request { get; } = request;

    /// <summary>The <c>priority</c> parameter (schedule_policy extension): 1 is highest, 0 or absent is the default.</summary>
    public int Priority { get; init; }

    /// <summary>The <c>timeout</c> parameter in microseconds (schedule_policy extension), or null.</summary>
    public long? TimeoutMicroseconds { get; init; }

    /// <summary>The request-level <c>binary_data_output</c> parameter.</summary>
    public bool BinaryDataOutput { get; } = binaryDataOutput;

    /// <summary>Outputs that asked for (or against) binary data explicitly (null when none did).</summary>
    public IReadOnlyDictionary<string, bool>? OutputBinary { get; } = outputBinary;

    /// <summary>The body was the raw bytes of the only input; every output goes back binary.</summary>
    public bool RawMode { get; } = rawMode;

    public bool IsBinary(string output) =>
        RawMode || (OutputBinary is not null && OutputBinary.TryGetValue(output, out var binary) ? binary : BinaryDataOutput);
}
