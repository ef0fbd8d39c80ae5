namespace AiServe.Tests.Common;

/// <summary>Folders of the checkout that tests read from.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AiServe.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find AiServe.sln above " + AppContext.BaseDirectory);
    });

    /// <summary>The checkout's root (where AiServe.sln is).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The bundled model repository.</summary>
    public static string Models => Path.Combine(RepoRoot, "models");

    /// <summary>tests/fixtures.</summary>
    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");

    /// <summary>The test model repository with the identity (all datatypes) and add models.</summary>
    public static string DatatypesRepo => Path.Combine(Fixtures, "repos", "datatypes");
}
