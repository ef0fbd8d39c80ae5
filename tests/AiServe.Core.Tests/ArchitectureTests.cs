using AiServe.Core.Lifecycle;

namespace AiServe.Core.Tests;

public sealed class ArchitectureTests
{
    [Theory]
    [InlineData("Microsoft.AspNetCore")]
    [InlineData("Microsoft.ML.OnnxRuntime")]
    public void CoreAssembly_ReferencedAssemblies_ExcludeHostAndRuntime(string forbiddenPrefix)
    {
        var references = typeof(ModelManager).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? "").ToArray();

        Assert.Contains("Microsoft.Extensions.Logging.Abstractions", references);
        Assert.DoesNotContain(references, name => name.StartsWith(forbiddenPrefix, StringComparison.Ordinal));
    }
}
