using System.Globalization;
using System.Text;

namespace AiServe.Core.Pipelines;

/// <summary>
/// Removes accents as Python's <c>unicodedata.normalize("NFD", s)</c> without category Mn does, with no ICU:
/// AiServe runs with InvariantGlobalization, where <see cref="string.Normalize(NormalizationForm)"/> leaves
/// non-ASCII text unchanged, so Microsoft.ML.Tokenizers' RemoveNonSpacingMarks alone strips nothing. The table
/// (AccentTable.txt, from make_accent_table.py) maps each precomposed character to its stripped decomposition;
/// Hangul syllables decompose to jamo by the Unicode formula. The output is already NFD, so a tokenizer that does
/// normalise (ICU present) gets the same text either way. Immutable after the type initialiser; thread-safe.
/// </summary>
internal static class AccentStripper
{
    private const int HangulBase = 0xAC00;
    private const int HangulCount = 11172;

    private static readonly Dictionary<int, string> Table = LoadTable();

    public static string Strip(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        StringBuilder? builder = null;
        var index = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            string? replacement = null;
            var value = rune.Value;
            if (value is >= HangulBase and < HangulBase + HangulCount)
            {
                var s = value - HangulBase;
                replacement = string.Concat((char)(0x1100 + (s / 588)), (char)(0x1161 + (s % 588 / 28)), s % 28 == 0 ? "" : ((char)(0x11A7 + (s % 28))).ToString());
            }
            else if (Table.TryGetValue(value, out var mapped))
            {
                replacement = mapped;
            }
            else if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark)
            {
                replacement = "";
            }

            if (replacement is not null && builder is null)
            {
                builder = new StringBuilder(text.Length);
                builder.Append(text, 0, index);
            }

            if (builder is not null)
            {
                if (replacement is not null)
                {
                    builder.Append(replacement);
                }
                else
                {
                    builder.Append(rune.ToString());
                }
            }

            index += rune.Utf16SequenceLength;
        }

        return builder?.ToString() ?? text;
    }

    private static Dictionary<int, string> LoadTable()
    {
        using var stream = typeof(AccentStripper).Assembly.GetManifestResourceStream("AiServe.Core.Pipelines.AccentTable.txt")
            ?? throw new InvalidOperationException("AccentTable.txt is not embedded in AiServe.Core");
        using var reader = new StreamReader(stream);
        var table = new Dictionary<int, string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split('\t');
            var target = new StringBuilder();
            foreach (var hex in parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                target.Append(char.ConvertFromUtf32(int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }

            table[int.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = target.ToString();
        }

        return table;
    }
}
