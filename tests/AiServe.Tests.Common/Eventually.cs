namespace AiServe.Tests.Common;

/// <summary>
/// Waits for a state that code on another thread reaches on its own (a batcher's worker, a request in a test server,
/// the host's shutdown). The real-time bound only stops a hang; no test measures time with it.
/// </summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds or about 30 s pass; returns its last value.</summary>
    public static async Task<bool> TrueAsync(Func<bool> condition)
    {
        for (var i = 0; i < 6000 && !condition(); i++)
        {
            await Task.Delay(5);
        }

        return condition();
    }
}
