namespace AiServe.Bench;

/// <summary>How the bench puts tensors on the wire.</summary>
internal enum BenchProtocol
{
    /// <summary>V2 REST with JSON <c>data</c> for inputs and outputs (<c>rest-json</c>).</summary>
    RestJson,

    /// <summary>V2 REST with the binary tensor data extension for inputs and outputs (<c>rest-binary</c>).</summary>
    RestBinary,
}
