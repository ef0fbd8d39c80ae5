namespace AiServe.Bench.Reporting;

/// <summary>
/// Where --out puts the results: PREFIX.json and PREFIX.md, or DIR/results.json and DIR/results.md when the prefix is
/// a directory or ends with a separator. <see cref="Prepare"/> runs before the first step, so that a place that cannot
/// be written is refused at once rather than after the whole run.
/// </summary>
internal sealed class ReportFiles
{
    private ReportFiles(string prefix)
    {
        Prefix = prefix;
    }

    /// <summary>The paths without their extensions.</summary>
    public string Prefix { get; }

    public string JsonPath => Prefix + ".json";

    public string MarkdownPath => Prefix + ".md";

    /// <summary>Creates the directory the files go in and checks that both files can be written there.</summary>
    /// <param name="prefix">The --out value.</param>
    /// <exception cref="BenchOptionsException">The files cannot be written there; the message says why.</exception>
    public static ReportFiles Prepare(string prefix)
    {
        try
        {
            // A directory given (existing, or ending in a separator) holds results.json and results.md.
            var directoryGiven = Directory.Exists(prefix) || prefix.EndsWith('/') || prefix.EndsWith(Path.DirectorySeparatorChar);
            var files = new ReportFiles(directoryGiven ? Path.Combine(prefix, "results") : prefix);
            if (directoryGiven)
            {
                Directory.CreateDirectory(prefix);
            }
            else if (Path.GetDirectoryName(Path.GetFullPath(prefix)) is { } directory)
            {
                Directory.CreateDirectory(directory);
            }

            CheckWritable(files.JsonPath);
            CheckWritable(files.MarkdownPath);
            return files;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new BenchOptionsException($"--out '{prefix}': the results cannot be written there: {ex.Message}");
        }
    }

    /// <summary>Writes both files, replacing any earlier results.</summary>
    /// <exception cref="IOException">A file could not be written (e.g. its directory went away during the run).</exception>
    /// <exception cref="UnauthorizedAccessException">Writing was refused.</exception>
    public async Task WriteAsync(BenchReport report)
    {
        await File.WriteAllTextAsync(JsonPath, JsonReporter.Render(report), CancellationToken.None);
        await File.WriteAllTextAsync(MarkdownPath, MarkdownReporter.Render(report), CancellationToken.None);
    }

    // Opens the file for writing without truncating it, and removes it again if the check made it: earlier results
    // stay as they are until the run replaces them, and a run that fails leaves no empty file behind.
    private static void CheckWritable(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException($"'{path}' is a directory");
        }

        var existed = File.Exists(path);
        using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write))
        {
        }

        if (!existed)
        {
            File.Delete(path);
        }
    }
}
