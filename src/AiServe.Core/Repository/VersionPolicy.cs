namespace AiServe.Core.Repository;

/// <summary>Chooses which of the version folders found are served.</summary>
public static class VersionPolicy
{
    /// <summary>The versions <paramref name="policy"/> selects among <paramref name="available"/> (ascending).</summary>
    public static IReadOnlyList<long> Select(VersionPolicyConfig? policy, IEnumerable<long> available)
    {
        ArgumentNullException.ThrowIfNull(available);
        var sorted = available.Distinct().Order().ToArray();
        if (policy?.All is not null)
        {
            return sorted;
        }

        if (policy?.Specific is { } specific)
        {
            return sorted.Where(v => specific.Versions.Contains(v)).ToArray();
        }

        var n = policy?.Latest?.NumVersions ?? 1;
        return sorted.Skip(Math.Max(0, sorted.Length - n)).ToArray();
    }
}
