using AiServe.Core.Diagnostics;
using AiServe.Core.Lifecycle;
using Microsoft.Extensions.Options;

namespace AiServe.Server.Hosting;

/// <summary>
/// Graceful shutdown, run while the host is stopping and before any hosted service stops (the web server included:
/// <c>WebApplication</c> registers it after the application's services, so it would stop first and close the port
/// if the drain ran in <c>StopAsync</c>). On SIGTERM readiness turns 503 at once, while requests are still served;
/// after <see cref="ShutdownOptions.DrainDelaySeconds"/> new requests are refused; requests in flight and queued
/// finish (bounded by <see cref="ShutdownOptions.DrainTimeoutSeconds"/>); then the web server stops and the container
/// disposes the model manager, which unloads every session.
/// </summary>
internal sealed partial class DrainService(
    ModelManager manager,
    IOptions<AiServeOptions> options,
    TimeProvider timeProvider,
    ILogger<DrainService> logger) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
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
