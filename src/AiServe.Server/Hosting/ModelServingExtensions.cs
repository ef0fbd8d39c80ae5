using AiServe.Core.Inference;
using AiServe.Core.Lifecycle;
using AiServe.Core.Repository;
using AiServe.Onnx;
using Microsoft.Extensions.Options;

namespace AiServe.Server.Hosting;

/// <summary>Registers the model repository, the lifecycle manager and the ONNX Runtime backend.</summary>
internal static class ModelServingExtensions
{
    public static IServiceCollection AddModelServing(this IServiceCollection services)
    {
        services.AddOptions<AiServeOptions>()
            .BindConfiguration(AiServeOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => Directory.Exists(RepositoryPath.Resolve(o.Repository.Path)),
                "AiServe:Repository:Path does not name an existing folder (set it, or pass --models DIR)")
            .ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddOptions<OnnxBackendOptions>().BindConfiguration($"{AiServeOptions.SectionName}:Onnx")
            .Validate(o => o.GlobalIntraOpThreads >= 0,
                $"{AiServeOptions.SectionName}:Onnx:GlobalIntraOpThreads must be 0 (one thread per core) or more")
            .ValidateOnStart();
        services.AddSingleton<IModelBackend>(sp => new OnnxModelBackend(sp.GetRequiredService<IOptions<OnnxBackendOptions>>().Value));
        services.AddSingleton<IModelSource>(sp =>
            new FileSystemModelSource(RepositoryPath.Resolve(sp.GetRequiredService<IOptions<AiServeOptions>>().Value.Repository.Path)));
        services.AddSingleton<ModelManager>();
        services.AddSingleton<ModelRepositoryService>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelRepositoryService>());
        services.AddHostedService<DrainService>();

        // The host must outlive the drain: delay + timeout, plus time to stop the web server.
        services.AddOptions<HostOptions>().Configure<IOptions<AiServeOptions>>((host, aiserve) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(aiserve.Value.Shutdown.DrainDelaySeconds + aiserve.Value.Shutdown.DrainTimeoutSeconds + 5));
        return services;
    }
}
