using System.Buffers.Binary;
using System.Globalization;
using AiServe.Core.Inference;

namespace AiServe.Server.Protocols.OpenInference;

/// <summary>
/// Encodes an infer response: a JSON object, followed by the raw bytes of the outputs the client asked to get
/// binary (then <c>Inference-Header-Content-Length</c> gives the JSON part's size).
/// </summary>
internal static class V2ResponseWriter
{
    public const string HeaderContentLength = "Inference-Header-Content-Length";

    public static async Task WriteAsync(HttpResponse http, InferenceResponse response, V2InferRequest request, CancellationToken cancellationToken)
    {
        using var json = new PooledJsonBuffer();
        long binaryLength = 0;
        var anyBinary = false;
        var writer = json.Start();
        writer.WriteStartObject();
        writer.WriteString("model_name"u8, response.ModelName);
        Span<byte> version = stackalloc byte[20]; // a long's digits
        response.ModelVersion.TryFormat(version, out var versionLength, provider: CultureInfo.InvariantCulture);
        writer.WriteString("model_version"u8, version[..versionLength]);
        if (response.Id is not null)
        {
            writer.WriteString("id"u8, response.Id);
        }

        writer.WriteStartArray("outputs"u8);
        var outputs = response.Outputs;
        for (var k = 0; k < outputs.Count; k++) // indexed: foreach over the interface allocates an enumerator
        {
            var output = outputs[k];
            writer.WriteStartObject();
            writer.WriteString("name"u8, output.Name);
            writer.WriteString("datatype"u8, output.DataType.ToWireName());
            writer.WriteStartArray("shape"u8);
            foreach (var dim in output.ShapeSpan)
            {
                writer.WriteNumberValue(dim);
            }

            writer.WriteEndArray();
            if (request.IsBinary(output.Name))
            {
                var size = BinarySize(output);
                binaryLength += size;
                anyBinary = true;
                writer.WriteStartObject("parameters"u8);
                writer.WriteNumber("binary_data_size"u8, size);
                writer.WriteEndObject();
            }
            else
            {
                writer.WritePropertyName("data"u8);
                try
                {
                    TensorJson.WriteFlat(writer, output);
                }
                catch (InferenceException ex) when (output.DataType == TensorDataType.Bytes)
                {
                    throw new InferenceException(ex.Code, $"{ex.Message} (\"parameters\": {{\"binary_data\": true}} on the output)", ex);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();

        json.Finish();
        // Binary outputs of zero bytes are binary outputs too: the answer says where its JSON part ends.
        if (!anyBinary && !request.RawMode)
        {
            http.ContentType = "application/json";
            http.ContentLength = json.WrittenCount;
            await http.Body.WriteAsync(json.WrittenMemory, cancellationToken);
            return;
        }

        http.ContentType = "application/octet-stream";
        http.Headers[HeaderContentLength] = json.WrittenCount.ToString(CultureInfo.InvariantCulture);
        http.ContentLength = json.WrittenCount + binaryLength;
        await http.Body.WriteAsync(json.WrittenMemory, cancellationToken);
        for (var k = 0; k < response.Outputs.Count; k++)
        {
            var output = response.Outputs[k];
            if (request.IsBinary(output.Name))
            {
                await WriteBinaryAsync(http.Body, output, cancellationToken);
            }
        }
    }

    private static long BinarySize(Tensor tensor)
    {
        if (tensor.DataType != TensorDataType.Bytes)
        {
            return tensor.Data.Length;
        }

        long size = 0;
        foreach (var element in tensor.Elements!)
        {
            size += 4 + element.Length;
        }

        return size;
    }

    private static async Task WriteBinaryAsync(Stream body, Tensor tensor, CancellationToken cancellationToken)
    {
        if (tensor.DataType != TensorDataType.Bytes)
        {
            await body.WriteAsync(tensor.Data, cancellationToken);
            return;
        }

        var prefix = new byte[4];
        foreach (var element in tensor.Elements!)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(prefix, (uint)element.Length);
            await body.WriteAsync(prefix, cancellationToken);
            await body.WriteAsync(element, cancellationToken);
        }
    }
}
