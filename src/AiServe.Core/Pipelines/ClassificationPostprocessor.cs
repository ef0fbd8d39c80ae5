using System.Globalization;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>
/// Classification: {"label", "score", "top_k": [{"label", "score"}]} per row. Several columns: the arg-max class
/// (ties: the lower index). One column (or two with a threshold): binary, the positive class when p &gt;= threshold.
/// With apply_softmax the output holds logits (softmax across columns; sigmoid for one column).
/// </summary>
internal sealed class ClassificationPostprocessor : IPostprocessor
{
    private readonly string _output;
    private readonly string[]? _labels;
    private readonly int? _topK;
    private readonly bool _applySoftmax;
    private readonly double? _threshold;

    public ClassificationPostprocessor(PostprocessConfig config)
    {
        _output = config.Probabilities ?? config.Output ?? "probabilities";
        _labels = config.Labels?.ToArray();
        if (config.TopK is < 1)
        {
            throw PipelineLoader.Invalid("postprocess.top_k", "must be at least 1");
        }

        if (config.Threshold is < 0 or > 1)
        {
            throw PipelineLoader.Invalid("postprocess.threshold", "must be between 0 and 1");
        }

        if (_labels is not null && _labels.Distinct().Count() != _labels.Length)
        {
            throw PipelineLoader.Invalid("postprocess.labels", "has duplicates");
        }

        _topK = config.TopK;
        _applySoftmax = config.ApplySoftmax;
        _threshold = config.Threshold;
    }

    public PipelineAnswers Answers => PipelineAnswers.Classification;

    public IReadOnlyList<string> OutputNames => [_output];

    public JsonObject[] Process(IReadOnlyList<Tensor> outputs)
    {
        var (values, rows, columns) = OutputTensors.Read(outputs, _output);
        if (_labels is not null && columns != _labels.Length && !(columns == 1 && _labels.Length == 2))
        {
            throw PipelineErrors.Output($"output '{_output}' has {columns} columns but the pipeline has {_labels.Length} labels");
        }

        var answers = new JsonObject[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * columns, columns);
            answers[r] = columns == 1 || (columns == 2 && _threshold is not null) ? Binary(row) : Multiclass(row);
        }

        return answers;
    }

    private JsonObject Binary(ReadOnlySpan<double> row)
    {
        double positive;
        if (row.Length == 1)
        {
            positive = _applySoftmax ? 1 / (1 + Math.Exp(-row[0])) : row[0];
        }
        else
        {
            positive = _applySoftmax ? Softmax(row)[1] : row[1];
        }

        double[] scores = [1 - positive, positive];
        var chosen = positive >= (_threshold ?? 0.5) ? 1 : 0;

        // top_k lists the classes by score; with a threshold other than 0.5 the label may be the second of them.
        return Answer(chosen, scores, scores[1] > scores[0] ? [1, 0] : [0, 1]);
    }

    private JsonObject Multiclass(ReadOnlySpan<double> row)
    {
        var scores = _applySoftmax ? Softmax(row) : row.ToArray();

        // Stable: equal scores keep class order, so ties go to the lower index as numpy's argsort(kind="stable").
        var order = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ToArray();
        return Answer(order[0], scores, order);
    }

    private JsonObject Answer(int chosen, double[] scores, int[] order)
    {
        var top = new JsonArray();
        foreach (var i in order.Take(Math.Min(_topK ?? order.Length, order.Length)))
        {
            top.Add(new JsonObject { ["label"] = Label(i), ["score"] = (float)scores[i] });
        }

        return new JsonObject { ["label"] = Label(chosen), ["score"] = (float)scores[chosen], ["top_k"] = top };
    }

    private string Label(int index) => _labels is { } labels ? labels[index] : index.ToString(CultureInfo.InvariantCulture);

    private static double[] Softmax(ReadOnlySpan<double> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var v in logits)
        {
            max = Math.Max(max, v);
        }

        var result = new double[logits.Length];
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            result[i] = Math.Exp(logits[i] - max);
            sum += result[i];
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] /= sum;
        }

        return result;
    }
}
