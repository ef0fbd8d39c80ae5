using AiServe.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace AiServe.Core.Lifecycle;

internal static partial class ModelManagerLog
{
    [LoggerMessage(EventName = nameof(EventIds.VersionReady), EventId = 1001, Level = LogLevel.Information,
        Message = "Model {Model} version {Version} is ready ({Inputs} inputs, {Outputs} outputs)")]
    public static partial void VersionReady(ILogger logger, string model, long version, int inputs, int outputs);

    [LoggerMessage(EventName = nameof(EventIds.VersionLoadFailed), EventId = 1002, Level = LogLevel.Error,
        Message = "Model {Model} version {Version} is unavailable: {Reason}")]
    public static partial void VersionLoadFailed(ILogger logger, string model, long version, string reason);

    [LoggerMessage(EventName = nameof(EventIds.ReloadFailedKeptOld), EventId = 1003, Level = LogLevel.Warning,
        Message = "Reload of model {Model} version {Version} failed, the loaded one keeps serving: {Reason}")]
    public static partial void ReloadFailedKeptOld(ILogger logger, string model, long version, string reason);

    [LoggerMessage(EventName = nameof(EventIds.VersionUnloading), EventId = 1004, Level = LogLevel.Information,
        Message = "Model {Model} version {Version} is unloading ({InFlight} requests in flight)")]
    public static partial void VersionUnloading(ILogger logger, string model, long version, int inFlight);

    [LoggerMessage(EventName = nameof(EventIds.ConfigInvalid), EventId = 1005, Level = LogLevel.Error,
        Message = "Model {Model} has an invalid configuration: {Reason}")]
    public static partial void ConfigInvalid(ILogger logger, string model, string reason);

    [LoggerMessage(EventName = nameof(EventIds.ModelRemoved), EventId = 1006, Level = LogLevel.Information,
        Message = "Model {Model} was removed from the repository")]
    public static partial void ModelRemoved(ILogger logger, string model);

    [LoggerMessage(EventName = nameof(EventIds.VersionFoldersIgnored), EventId = 1012, Level = LogLevel.Warning,
        Message = "Model {Model}: {Reason}; such folders are not served")]
    public static partial void VersionFoldersIgnored(ILogger logger, string model, string reason);

    [LoggerMessage(EventName = nameof(EventIds.KeptServingOutsidePolicy), EventId = 1013, Level = LogLevel.Warning,
        Message = "Model {Model}: no version the policy selects is ready ({Selected}), so version {Version} keeps serving until one is")]
    public static partial void KeptServingOutsidePolicy(ILogger logger, string model, string selected, long version);
}
