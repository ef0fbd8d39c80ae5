namespace AiServe.Server.Hosting;

/// <summary>Finds the repository folder the options name.</summary>
internal static class RepositoryPath
{
    /// <summary>
    /// Resolves <paramref name="configured"/>. An existing folder wins; otherwise a relative path is looked up
    /// beside AiServe.sln above the working directory and above the app's own folder, so that the README's
    /// <c>dotnet run</c> serves the bundled models from anywhere in the checkout.
    /// </summary>
    public static string Resolve(string configured)
    {
        if (Directory.Exists(configured) || Path.IsPathRooted(configured))
        {
            return Path.GetFullPath(configured);
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AiServe.sln")))
                {
                    var candidate = Path.Combine(dir.FullName, configured);
                    if (Directory.Exists(candidate))
                    {
                        return candidate;
                    }
                }
            }
        }

        return Path.GetFullPath(configured);
    }
}
