using AiServe.Core.Inference;
using Microsoft.ML.Tokenizers;

namespace AiServe.Core.Pipelines;

/// <summary>
/// BERT WordPiece (Microsoft.ML.Tokenizers' BertTokenizer over the version's vocab file): lower-case, accents
/// stripped, CJK characters split, punctuation split; [CLS] tokens [SEP] with the tokens cut to max_length - 2;
/// padded with [PAD] to the longest sequence of the batch; attention mask 1 on real tokens. INT64 tensors.
/// The tokenizer is thread-safe, so one instance serves every request.
/// </summary>
internal sealed class TextPreprocessor
{
    private readonly BertTokenizer _tokenizer;
    private readonly TextPipelineConfig _config;
    private readonly int _cls;
    private readonly int _sep;
    private readonly int _pad;
    private readonly bool _stripAccents;

    public TextPreprocessor(TextPipelineConfig config, string versionDirectory)
    {
        _config = config;
        var tokenizer = config.Tokenizer ?? new TokenizerConfig();
        if (tokenizer.Type != "bert_wordpiece")
        {
            throw PipelineLoader.Invalid("tokenizer.type", $"'{tokenizer.Type}' is not supported; use bert_wordpiece");
        }

        if (config.MaxLength < 3)
        {
            throw PipelineLoader.Invalid("max_length", "must be at least 3 ([CLS], one token, [SEP])");
        }

        if (config.MaxTextChars < 1)
        {
            throw PipelineLoader.Invalid("max_text_chars", "must be positive");
        }

        var vocab = PipelineLoader.ReadFile(versionDirectory, "tokenizer.vocab", tokenizer.Vocab);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(vocab));
        _tokenizer = BertTokenizer.Create(stream, new BertOptions
        {
            LowerCaseBeforeTokenization = tokenizer.Lowercase,
            RemoveNonSpacingMarks = tokenizer.StripAccents,
            IndividuallyTokenizeCjk = true,
            ApplyBasicTokenization = true,
            UnknownToken = tokenizer.UnkToken,
            PaddingToken = tokenizer.PadToken,
            ClassificationToken = tokenizer.ClsToken,
            SeparatorToken = tokenizer.SepToken,
        });
        _cls = _tokenizer.ClassificationTokenId;
        _sep = _tokenizer.SeparatorTokenId;
        _pad = _tokenizer.PaddingTokenId;
        _stripAccents = tokenizer.StripAccents;
    }

    public int MaxTextChars => _config.MaxTextChars;

    /// <summary>The ids of one text: [CLS] tokens [SEP], at most max_length.</summary>
    public int[] Encode(string text)
    {
        // Two fixes before BertTokenizer, to tokenize as HuggingFace's BasicTokenizer (the Python side) does:
        // tab, CR and LF are whitespace there, but BertTokenizer drops them as control characters ("and\tso" -> "andso");
        // and accents are stripped here, as the tokenizer's own stripping needs ICU, which invariant globalization lacks.
        text = text.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');
        var ids = _tokenizer.EncodeToIds(_stripAccents ? AccentStripper.Strip(text) : text, addSpecialTokens: false);
        var kept = Math.Min(ids.Count, _config.MaxLength - 2);
        var result = new int[kept + 2];
        result[0] = _cls;
        for (var i = 0; i < kept; i++)
        {
            result[i + 1] = ids[i];
        }

        result[^1] = _sep;
        return result;
    }

    public IReadOnlyList<Tensor> Encode(IReadOnlyList<string> texts)
    {
        var sequences = texts.Select(Encode).ToArray();
        var length = sequences.Length == 0 ? 0 : sequences.Max(s => s.Length);
        var ids = new long[sequences.Length * length];
        var mask = new long[sequences.Length * length];
        Array.Fill(ids, _pad);
        for (var r = 0; r < sequences.Length; r++)
        {
            for (var t = 0; t < sequences[r].Length; t++)
            {
                ids[(r * length) + t] = sequences[r][t];
                mask[(r * length) + t] = 1;
            }
        }

        long[] shape = [sequences.Length, length];
        var result = new List<Tensor> { Tensor.FromValues<long>(_config.InputIds, TensorDataType.Int64, shape, ids) };
        if (_config.AttentionMask is { } maskName)
        {
            result.Add(Tensor.FromValues<long>(maskName, TensorDataType.Int64, shape, mask));
        }

        return result;
    }
}
