using AiServe.Core.Diagnostics;
using AiServe.Core.Lifecycle;
using AiServe.Core.Repository;
using Microsoft.Extensions.Options;

namespace AiServe.Server.Hosting;

/// <summary>
/// Loads the repository at start and polls it for changes. The first scan runs in the background so the server is
/// live (and not ready) while models load. A later scan that fails keeps the models that are serving.
/// </summary>
internal sealed partial class ModelRepositoryService(
    ModelManager manager,
    IModelSource source,
    IOptions<AiServeOptions> options,
    TimeProvider timeProvider,
    ILogger<ModelRepositoryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Yield at once so that host start-up is not held up by model loading.
        await Task.Yield();
        await Task.Run(() => ScanAndApply(stoppingToken), stoppingToken);
        LogInitialLoad(logger, source.Description, manager.Models.Count);

        var interval = options.Value.Repository.PollIntervalSeconds;
        if (interval <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(interval), timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await Task.Run(() => ScanAndApply(stoppingToken), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Scans once and applies the result; used by the poller and by tests that change files.</summary>
    public void ScanAndApply(CancellationToken cancellationToken)
    {
        RepositorySnapshot snapshot;
        try
        {
            snapshot = source.Scan();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogScanFailed(logger, source.Description, ex.Message);
            if (!manager.InitialLoadComplete)
            {
                manager.Apply(RepositorySnapshot.Empty, cancellationToken);
            }

            return;
        }

        manager.Apply(snapshot, cancellationToken);
    }

    [LoggerMessage(EventName = nameof(EventIds.RepositoryScanFailed), EventId = 1007, Level = LogLevel.Error,
        Message = "Cannot scan the model repository {Repository}; the loaded models keep serving: {Reason}")]
    private static partial void LogScanFailed(ILogger logger, string repository, string reason);

    [LoggerMessage(EventName = nameof(EventIds.InitialLoadComplete), EventId = 1008, Level = LogLevel.Information,
        Message = "Model repository {Repository} loaded: {Models} models")]
    private static partial void LogInitialLoad(ILogger logger, string repository, int models);
}
