using System.Net;
using AiServe.Core.Lifecycle;
using AiServe.Server.Hosting;
using AiServe.Tests.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AiServe.Server.Tests;

/// <summary>
/// The whole server in memory over a chosen model repository. Polling is off unless asked for: tests that change
/// files call <see cref="Rescan"/>, which is what the poller does on each tick.
/// </summary>
public class AiServeFactory(string repositoryPath, double pollSeconds = 0, long? maxBodyBytes = null, Action<IServiceCollection>? services = null, string environment = "Testing")
    : WebApplicationFactory<Program>
{
    public AiServeFactory()
        : this(TestPaths.Models)
    {
    }

    public ModelManager Manager => Services.GetRequiredService<ModelManager>();

    /// <summary>Starts the server and waits until the first repository load is complete.</summary>
    public async Task<HttpClient> StartAsync()
    {
        var client = CreateClient();
        for (var i = 0; i < 600; i++)
        {
            using var response = await client.GetAsync("/v2/health/ready");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return client;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("the server did not become ready");
    }

    /// <summary>
    /// A client that streams request bodies to the server as they are written, and answers as they come (the
    /// factory's default client buffers each body whole first, to be able to follow redirects): for bodies that stall
    /// or that the server refuses before reading them.
    /// </summary>
    public HttpClient CreateStreamingClient() => Server.CreateClient();

    /// <summary>
    /// Starts the server on real Kestrel on a free loopback port (for tests of connections, which the in-memory
    /// server does not have) and returns its address.
    /// </summary>
    public async Task<Uri> StartOnKestrelAsync()
    {
        this.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        await StartAsync();
        return new Uri(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
    }

    /// <summary>Scans the repository and applies changes, as one poll does.</summary>
    public void Rescan() => Services.GetRequiredService<ModelRepositoryService>().ScanAndApply(CancellationToken.None);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("AiServe:Repository:Path", repositoryPath);
        builder.UseSetting("AiServe:Repository:PollIntervalSeconds", pollSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Test hosts stop without the production drain delay (load balancers are not watching them).
        builder.UseSetting("AiServe:Shutdown:DrainDelaySeconds", "0");
        if (maxBodyBytes is { } max)
        {
            builder.UseSetting("AiServe:Limits:MaxRequestBodyBytes", max.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }
}

/// <summary>The server over the bundled models/ folder, shared by a test class.</summary>
public sealed class BundledModelsFactory : AiServeFactory
{
    public BundledModelsFactory()
        : base(TestPaths.Models)
    {
    }
}

/// <summary>The server over tests/fixtures/repos/datatypes (identity and add models).</summary>
public sealed class DatatypesFactory : AiServeFactory
{
    public DatatypesFactory()
        : base(TestPaths.DatatypesRepo)
    {
    }
}
