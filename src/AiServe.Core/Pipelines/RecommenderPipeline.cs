using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>
/// kind "recommender" over a model that rates (user index, item index) pairs. Ids map to indices by line of
/// users.txt / items.txt. A record is a pair {"user", "item"} (one row; answer {"user", "item", "rating"}) or a
/// top-k request {"user", "k"?, "exclude_rated"?} (one row per item, scored in the same batch; answer {"user",
/// "cold_start", "items": [{"item", "rating"}]}, ranked by raw score, ties to the lower index, ratings clipped
/// to [min_rating, max_rating]). An unknown user in a top-k request gets the first k of popular.txt when
/// cold_start is "popular" (no model run, no ratings), else an error; an unknown id in a pair is an error.
/// </summary>
internal sealed class RecommenderPipeline : IPipeline
{
    private readonly RecommenderPipelineConfig _config;
    private readonly string[] _users;
    private readonly string[] _items;
    private readonly Dictionary<string, int> _userIndex;
    private readonly Dictionary<string, int> _itemIndex;
    private readonly Dictionary<int, HashSet<int>> _rated = [];
    private readonly int[] _popular;
    private readonly string _output;
    private readonly int _defaultK;
    private readonly int _maxRows;
    private readonly double _minRating;
    private readonly double _maxRating;

    public RecommenderPipeline(RecommenderPipelineConfig config, string versionDirectory)
    {
        _config = config;
        _users = PipelineLoader.ReadLines(versionDirectory, "users", config.Users);
        _items = PipelineLoader.ReadLines(versionDirectory, "items", config.Items);
        _userIndex = Index(_users, "users");
        _itemIndex = Index(_items, "items");

        // One top-k record scores every item: a bound below the item count would refuse every top-k request.
        _maxRows = config.MaxRows ?? Math.Max(65_536, _items.Length);
        if (_maxRows < _items.Length)
        {
            throw PipelineLoader.Invalid("max_rows", $"must be at least the item count ({_items.Length}: a top-k record scores every item), found {_maxRows}");
        }

        if (config.ColdStart is not ("popular" or "error"))
        {
            throw PipelineLoader.Invalid("cold_start", $"'{config.ColdStart}' is not supported; use popular or error");
        }

        if (config.Rated is { } rated)
        {
            ReadRated(PipelineLoader.ReadFile(versionDirectory, "rated", rated));
        }

        _popular = config.Popular is { } popular
            ? PipelineLoader.ReadLines(versionDirectory, "popular", popular)
                .Select(id => _itemIndex.TryGetValue(id, out var i) ? i : throw PipelineLoader.Invalid("popular", $"lists item '{id}', which is not in {config.Items}"))
                .ToArray()
            : [];
        if (config.ColdStart == "popular" && config.Popular is null)
        {
            throw PipelineLoader.Invalid("popular", "is required when cold_start is \"popular\"");
        }

        var post = config.Postprocess ?? new PostprocessConfig { Type = "recommendation" };
        if (post.Type != "recommendation")
        {
            throw PipelineLoader.Invalid("postprocess.type", $"must be \"recommendation\" for kind recommender, found '{post.Type}'");
        }

        _output = post.Output ?? "rating";
        _defaultK = post.TopK ?? 10;
        _minRating = post.MinRating ?? double.NegativeInfinity;
        _maxRating = post.MaxRating ?? double.PositiveInfinity;
        if (_defaultK < 1 || !(_minRating <= _maxRating))
        {
            throw PipelineLoader.Invalid("postprocess", "needs top_k >= 1 and min_rating <= max_rating");
        }
    }

    public string Kind => "recommender";

    public PipelineAnswers Answers => PipelineAnswers.Recommendation;

    public IReadOnlyList<string> OutputNames => [_output];

    public IReadOnlyList<Tensor> Preprocess(IReadOnlyList<JsonElement> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var users = new List<long>();
        var items = new List<long>();
        foreach (var request in Parse(records))
        {
            if (request.Item is { } item)
            {
                users.Add(request.User!.Value);
                items.Add(item);
            }
            else if (request.User is { } user)
            {
                for (var i = 0; i < _items.Length; i++)
                {
                    users.Add(user);
                    items.Add(i);
                }
            }
        }

        return
        [
            Tensor.FromValues<long>(_config.UserInput, TensorDataType.Int64, [users.Count], users.ToArray()),
            Tensor.FromValues<long>(_config.ItemInput, TensorDataType.Int64, [items.Count], items.ToArray()),
        ];
    }

    public IReadOnlyList<Tensor> PreprocessImages(IReadOnlyList<ReadOnlyMemory<byte>> images) => throw ImagePipeline.NotAnImagePipeline(Kind);

    public IReadOnlyList<JsonObject> Postprocess(IReadOnlyList<Tensor> outputs, IReadOnlyList<JsonElement> records)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(records);
        var requests = Parse(records);
        var rowsNeeded = requests.Sum(r => r.Item is not null ? 1 : r.User is not null ? _items.Length : 0);
        double[] scores = [];
        if (rowsNeeded > 0)
        {
            (scores, var rows, _) = OutputTensors.Read(outputs, _output);
            if (scores.Length != rowsNeeded || rows != rowsNeeded)
            {
                throw PipelineErrors.Output($"output '{_output}' has {scores.Length} values, expected {rowsNeeded} (one per preprocessed row)");
            }
        }

        var answers = new JsonObject[requests.Length];
        var offset = 0;
        for (var r = 0; r < requests.Length; r++)
        {
            var request = requests[r];
            if (request.Item is { } item)
            {
                answers[r] = new JsonObject { ["user"] = request.UserId, ["item"] = _items[item], ["rating"] = Clip(scores[offset++]) };
            }
            else if (request.User is { } user)
            {
                answers[r] = TopK(request, scores.AsSpan(offset, _items.Length), _rated.GetValueOrDefault(user));
                offset += _items.Length;
            }
            else
            {
                var top = new JsonArray(_popular.Take(request.K).Select(i => (JsonNode)new JsonObject { ["item"] = _items[i] }).ToArray());
                answers[r] = new JsonObject { ["user"] = request.UserId, ["cold_start"] = true, ["items"] = top };
            }
        }

        return answers;
    }

    public JsonObject RecordSchema() => new()
    {
        ["type"] = "object",
        ["description"] = "A pair {user, item} predicts the user's rating of the item; {user, k, exclude_rated} recommends the top k items.",
        ["properties"] = new JsonObject
        {
            ["user"] = new JsonObject { ["type"] = new JsonArray("string", "integer"), ["description"] = "a user id (a line of " + _config.Users + ")" },
            ["item"] = new JsonObject { ["type"] = new JsonArray("string", "integer"), ["description"] = "an item id (a line of " + _config.Items + ")" },
            ["k"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["default"] = _defaultK },
            ["exclude_rated"] = new JsonObject { ["type"] = "boolean", ["default"] = true },
        },
        ["required"] = new JsonArray("user"),
    };

    public JsonNode ExampleRecord() => new JsonObject { ["user"] = _users[0], ["item"] = _items[0] };

    private JsonObject TopK(Request request, ReadOnlySpan<double> scores, HashSet<int>? rated)
    {
        var candidates = new List<int>(scores.Length);
        for (var i = 0; i < scores.Length; i++)
        {
            if (!(request.ExcludeRated && rated is not null && rated.Contains(i)))
            {
                candidates.Add(i);
            }
        }

        var copy = scores.ToArray();

        // Ranked by the raw score (clipping would tie every item past max_rating); stable, so ties keep index order.
        var top = candidates.OrderByDescending(i => copy[i]).Take(request.K)
            .Select(i => (JsonNode)new JsonObject { ["item"] = _items[i], ["rating"] = Clip(copy[i]) }).ToArray();
        return new JsonObject { ["user"] = request.UserId, ["cold_start"] = false, ["items"] = new JsonArray(top) };
    }

    private float Clip(double score) => (float)Math.Clamp(score, _minRating, _maxRating);

    private Request[] Parse(IReadOnlyList<JsonElement> records)
    {
        var requests = new Request[records.Count];
        long rows = 0;
        for (var r = 0; r < records.Count; r++)
        {
            // Bounded before anything grows with it: a top-k record costs a row per item, its answer up to k objects.
            if (rows > _maxRows)
            {
                throw TooManyRows(rows);
            }

            var record = records[r];
            RecordFields.RequireObject(record, r, "{\"user\", \"item\"} or {\"user\", \"k\"}");
            var userId = Id(record, r, "user") ?? throw PipelineErrors.Field(r, "user", "is required");
            var itemId = Id(record, r, "item");
            int? user = _userIndex.TryGetValue(userId, out var u) ? u : null;
            if (itemId is not null)
            {
                if (user is null)
                {
                    throw PipelineErrors.Field(r, "user", $"is '{userId}', which the model does not know (a rating needs a known user)");
                }

                var item = _itemIndex.TryGetValue(itemId, out var i) ? i : throw PipelineErrors.Field(r, "item", $"is '{itemId}', which the model does not know");
                requests[r] = new Request(userId, user, item, 1, false);
                rows++;
                continue;
            }

            var k = _defaultK;
            if (record.TryGetProperty("k", out var kValue) && kValue.ValueKind != JsonValueKind.Null)
            {
                // A whole number written as 2.0 or 1e2 is one too (JSON Schema's "integer" takes it).
                k = kValue.ValueKind == JsonValueKind.Number && kValue.TryGetDouble(out var parsed) && double.IsFinite(parsed) && parsed >= 1 && Math.Floor(parsed) == parsed
                    ? (int)Math.Min(parsed, _items.Length)
                    : throw PipelineErrors.Field(r, "k", $"must be a whole number >= 1, found {PipelineErrors.Describe(kValue)}");
            }

            var exclude = true;
            if (record.TryGetProperty("exclude_rated", out var excludeValue) && excludeValue.ValueKind != JsonValueKind.Null)
            {
                exclude = excludeValue.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? excludeValue.GetBoolean()
                    : throw PipelineErrors.Field(r, "exclude_rated", $"must be true or false, found {PipelineErrors.Describe(excludeValue)}");
            }

            if (user is null && _config.ColdStart != "popular")
            {
                throw PipelineErrors.Field(r, "user", $"is '{userId}', which the model does not know");
            }

            requests[r] = new Request(userId, user, null, k, exclude);
            rows += user is null ? k : _items.Length;
        }

        return rows > _maxRows ? throw TooManyRows(rows) : requests;
    }

    private InferenceException TooManyRows(long rows) => new(InferenceErrorCode.InvalidArgument,
        $"the records come to at least {rows} rows, more than the {_maxRows} one request may have (max_rows: a pair is 1 row, a top-k record scores all {_items.Length} items, a cold start lists its k); send fewer records per request");

    private static string? Id(JsonElement record, int index, string field)
    {
        if (!record.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return RecordFields.AsText(value) ?? throw PipelineErrors.Field(index, field, $"must be a string or number id, found {PipelineErrors.Describe(value.ValueKind)}");
    }

    private static Dictionary<string, int> Index(string[] ids, string field)
    {
        var index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
        {
            if (!index.TryAdd(ids[i], i))
            {
                throw PipelineLoader.Invalid(field, $"lists id '{ids[i]}' twice (line {i + 1})");
            }
        }

        return index.Count > 0 ? index : throw PipelineLoader.Invalid(field, "lists no ids");
    }

    private void ReadRated(string json)
    {
        Dictionary<string, List<string>>? rated;
        try
        {
            rated = JsonSerializer.Deserialize<Dictionary<string, List<string>>>(json);
        }
        catch (JsonException ex)
        {
            throw PipelineLoader.Invalid("rated", $"is not a JSON object of user -> [item ids]: {ex.Message}");
        }

        foreach (var (userId, itemIds) in rated ?? [])
        {
            var user = _userIndex.TryGetValue(userId, out var u) ? u : throw PipelineLoader.Invalid("rated", $"names user '{userId}', which is not in {_config.Users}");
            _rated[user] = itemIds.Select(id => _itemIndex.TryGetValue(id, out var i) ? i : throw PipelineLoader.Invalid("rated", $"names item '{id}', which is not in {_config.Items}")).ToHashSet();
        }
    }

    /// <summary>One parsed record: a pair (Item set), a top-k for a known user (User set), or a cold start (neither).</summary>
    private readonly record struct Request(string UserId, int? User, int? Item, int K, bool ExcludeRated);
}
