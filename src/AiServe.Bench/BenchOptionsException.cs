namespace AiServe.Bench;

/// <summary>The command line is wrong; the message says what and how to fix it.</summary>
internal sealed class BenchOptionsException(string message) : Exception(message);
