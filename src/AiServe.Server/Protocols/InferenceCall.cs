using AiServe.Core.Lifecycle;
using AiServe.Core.Scheduling;

namespace AiServe.Server.Protocols;

/// <summary>
/// One inference request as its handler sees it: the version it holds, and the clock of its deadline, which starts
/// when the request arrives, so that reading the body, decoding it and preprocessing it count against the deadline
/// as much as queueing and running do.
/// </summary>
/// <param name="Version">The version the request addresses, held (leased) until the request ends.</param>
/// <param name="StartedAt">When the request arrived (a timestamp of the server's <see cref="TimeProvider"/>).</param>
/// <param name="HeaderTimeout">The deadline the <c>X-Request-Timeout</c> header asks for, if any.</param>
/// <param name="BodyRead">
/// For reading the body: fires when the client goes away or when the deadline of the <c>X-Request-Timeout</c> header
/// passes (a body that arrives too slowly for the deadline gets 504, not a wait for the transport's own timeout).
/// </param>
/// <param name="Aborted">Fires when the client goes away.</param>
internal readonly record struct InferenceCall(
    ModelVersion Version, long StartedAt, TimeSpan? HeaderTimeout, CancellationToken BodyRead, CancellationToken Aborted)
{
    /// <summary>
    /// What to ask of the scheduler: <paramref name="priority"/> (0: none) and the shorter of the header's deadline
    /// and <paramref name="timeout"/> (the protocol's own, e.g. V2's <c>timeout</c> parameter), both counted from the
    /// request's arrival, as the model's default timeout is.
    /// </summary>
    public ScheduleOptions Schedule(int priority = 0, TimeSpan? timeout = null) =>
        new(priority, timeout is { } t && (HeaderTimeout is not { } h || t < h) ? t : HeaderTimeout, StartedAt);
}
