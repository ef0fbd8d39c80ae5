using AiServe.Core.Diagnostics;
using AiServe.Core.Lifecycle;
using Microsoft.Extensions.Options;

namespace AiServe.Server.Hosting;

/// <summary>
/// Graceful shutdown. Registered after the web server, so the host stops it first: on SIGTERM readiness turns 503
/// at once; after <see cref="ShutdownOptions.DrainDelaySeconds"/> new requests are refused; requests in flight and
/// queued finish (bounded by <see cref="ShutdownOptions.DrainTimeoutSeconds"/>); then the web server stops and the
/// container disposes the model manager, which unloads every session.
/// </summary>
internal sealed partial class DrainService(
    ModelManager manager,
    IOptions<AiServeOptions> options,
    TimeProvider timeProvider,
    ILogger<DrainService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var shutdown = options.Value.Shutdown;
        manager.BeginDrain();
        LogDraining(logger, shutdown.DrainDelaySeconds, manager.InFlight);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(shutdown.DrainDelaySeconds), timeProvider, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout ran out: stop refusing later than asked, but never hang.
        }

        manager.StopAccepting();
        var deadline = timeProvider.GetTimestamp();
        var limit = TimeSpan.FromSeconds(shutdown.DrainTimeoutSeconds);
        while (manager.InFlight > 0 && timeProvider.GetElapsedTime(deadline) < limit && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), timeProvider, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        LogDrained(logger, manager.InFlight);
    }

    [LoggerMessage(EventName = nameof(EventIds.DrainStarted), EventId = 1010, Level = LogLevel.Information,
        Message = "Shutting down: readiness is now 503; new requests are refused in {DelaySeconds} s; {InFlight} requests in flight")]
    private static partial void LogDraining(ILogger logger, double delaySeconds, int inFlight);

    [LoggerMessage(EventName = nameof(EventIds.Drained), EventId = 1011, Level = LogLevel.Information, Message = "Drained; {InFlight} requests were still in flight")]
    private static partial void LogDrained(ILogger logger, int inFlight);
}
