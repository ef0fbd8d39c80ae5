namespace AiServe.Client;

/// <summary>An output the request asks for by name.</summary>
/// <param name="Name">The output's name.</param>
/// <param name="BinaryData">
/// Whether this output should come back as binary data (<c>parameters.binary_data</c>); null follows
/// <see cref="InferOptions.BinaryOutputs"/>.
/// </param>
public sealed record RequestedOutput(string Name, bool? BinaryData = null);
