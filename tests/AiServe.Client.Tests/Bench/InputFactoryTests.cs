using AiServe.Bench;

namespace AiServe.Client.Tests.Bench;

public sealed class InputFactoryTests
{
    private static readonly ModelMetadata Model = new("m", ["1"], "fake",
        [
            new TensorMetadata("image", V2DataTypes.Fp32, [-1, 1, -1, 3]),
            new TensorMetadata("ids", V2DataTypes.Int64, [-1]),
            new TensorMetadata("mask", V2DataTypes.Bool, [2]),
            new TensorMetadata("text", V2DataTypes.Bytes, [-1, 1]),
        ],
        [new TensorMetadata("out", V2DataTypes.Fp32, [-1])]);

    [Fact]
    public void Random_VariableDims_BatchFirstOneElsewhere()
    {
        var request = InputFactory.Random(Model, batch: 4, seed: 1);

        Assert.Equal([4L, 1, 1, 3], request.Inputs[0].Shape);
        Assert.Equal([4L], request.Inputs[1].Shape);
        Assert.Equal([2L], request.Inputs[2].Shape);
        Assert.Equal([4L, 1], request.Inputs[3].Shape);
        Assert.All(request.Inputs[0].GetData<float>(), v => Assert.InRange(v, 0f, 1f));
        Assert.All(request.Inputs[3].GetStrings(), s => Assert.Equal(8, s.Length));
    }

    [Fact]
    public void Random_SameSeed_SameBody()
    {
        var a = EncodedInferRequest.Encode(InputFactory.Random(Model, 2, seed: 7), InferOptions.Binary);
        var b = EncodedInferRequest.Encode(InputFactory.Random(Model, 2, seed: 7), InferOptions.Binary);
        var c = EncodedInferRequest.Encode(InputFactory.Random(Model, 2, seed: 8), InferOptions.Binary);

        Assert.Equal(a.Body.ToArray(), b.Body.ToArray());
        Assert.NotEqual(a.Body.ToArray(), c.Body.ToArray());
    }

    [Fact]
    public void Random_BatchButNoVariableFirstDimension_Throws()
    {
        var model = new ModelMetadata("fixed", null, null, [new TensorMetadata("x", V2DataTypes.Fp32, [1, 4]), new TensorMetadata("s", V2DataTypes.Fp32, [])], []);

        var ex = Assert.Throws<InvalidOperationException>(() => InputFactory.Random(model, batch: 8, seed: 1));

        Assert.Equal("--batch 8 cannot be sent to model 'fixed': no input has a variable dimension 0 (-1) to carry it (x [1, 4], s []); leave --batch out, and each request is one inference", ex.Message);
        Assert.Equal([1L, 4], InputFactory.Random(model, batch: 1, seed: 1).Inputs[0].Shape);
    }

    [Fact]
    public void Random_ShapePastOneArray_ThrowsNamingTheInput()
    {
        var model = new ModelMetadata("m", null, null, [new TensorMetadata("x", V2DataTypes.Fp32, [-1, 100000, 100000])], []);

        var ex = Assert.Throws<InvalidOperationException>(() => InputFactory.Random(model, batch: 1, seed: 1));

        Assert.Equal("input 'x' would have shape [1, 100000, 100000], more than the 2147483591 elements a tensor can hold", ex.Message);
    }

    [Fact]
    public void Random_ZeroDimension_NoElementsWhateverTheOthers()
    {
        var model = new ModelMetadata("m", null, null, [new TensorMetadata("x", V2DataTypes.Fp32, [100000, 100000, 100000, 0])], []);

        Assert.Empty(InputFactory.Random(model, batch: 1, seed: 1).Inputs[0].GetData<float>());
    }

    [Fact]
    public void Random_InputWithEmptyName_Throws()
    {
        var model = new ModelMetadata("m", null, null, [new TensorMetadata("", V2DataTypes.Fp32, [1])], []);

        var ex = Assert.Throws<InvalidOperationException>(() => InputFactory.Random(model, batch: 1, seed: 1));

        Assert.Contains("empty name", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFile_ShapePastOneArray_ThrowsNamingTheFile()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"inputs":[{"name":"x","datatype":"FP32","shape":[100000,100000,100000],"data":[1]}]}""");

            var ex = Assert.Throws<InvalidOperationException>(() => InputFactory.FromFile(path));

            Assert.Contains($"--input-file '{path}' is not a JSON V2 infer request: 'x' has shape [100000,100000,100000], more than", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
