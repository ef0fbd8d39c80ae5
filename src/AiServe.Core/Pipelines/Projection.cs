namespace AiServe.Core.Pipelines;

/// <summary>A linear projection of the encoded row (e.g. PCA): y = components @ (x - mean).</summary>
internal sealed class Projection
{
    private readonly double[] _mean;
    private readonly double[][] _components;

    public Projection(ProjectionConfig config, int inputWidth)
    {
        _mean = [.. config.Mean];
        _components = config.Components.Select(c => c.ToArray()).ToArray();
        if (_mean.Length != inputWidth)
        {
            throw PipelineLoader.Invalid("projection.mean", $"has {_mean.Length} values but the features encode to {inputWidth} columns");
        }

        if (_components.Length == 0)
        {
            throw PipelineLoader.Invalid("projection.components", "must have at least one row");
        }

        for (var i = 0; i < _components.Length; i++)
        {
            if (_components[i].Length != inputWidth)
            {
                throw PipelineLoader.Invalid($"projection.components[{i}]", $"has {_components[i].Length} values but the features encode to {inputWidth} columns");
            }
        }
    }

    public int Width => _components.Length;

    public void Apply(ReadOnlySpan<double> x, Span<double> destination)
    {
        for (var k = 0; k < _components.Length; k++)
        {
            var row = _components[k];
            var sum = 0.0;
            for (var j = 0; j < x.Length; j++)
            {
                sum += row[j] * (x[j] - _mean[j]);
            }

            destination[k] = sum;
        }
    }
}
