using AiServe.Core.Inference;

namespace AiServe.Server.Protocols.TfServing;

/// <summary>Image uploads to an image model's predict: a raw <c>image/*</c> body, or <c>multipart/form-data</c> files.</summary>
internal static class ImageUploads
{
    public static bool IsUpload(HttpRequest request) =>
        request.ContentType is { } type
        && (type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || request.HasFormContentType && type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase));

    /// <summary>The images of the request, each bounded by the body limit (the pipeline bounds pixels before decoding).</summary>
    public static async Task<IReadOnlyList<ReadOnlyMemory<byte>>> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            using var body = await RequestBody.ReadAsync(request, maxBytes, cancellationToken);
            return [body.Memory.ToArray()];
        }

        if (request.ContentLength > maxBytes)
        {
            throw new RequestTooLargeException(request.ContentLength.Value, maxBytes);
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException || ex is IOException and not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            // (Kestrel's own refusals, a body past the size limit among them, derive from IOException too: they keep
            // their status, 413 for that one.)
            // InvalidDataException: a broken part or a form limit; IOException: the body ends inside a part.
            throw new InferenceException(InferenceErrorCode.InvalidArgument, $"malformed multipart body: {ex.Message}");
        }

        if (form.Files.Count == 0)
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument,
                "the multipart upload has no files; send each image as a file part");
        }

        var images = new List<ReadOnlyMemory<byte>>(form.Files.Count);
        long total = 0;
        foreach (var file in form.Files)
        {
            total += file.Length;
            if (total > maxBytes)
            {
                throw new RequestTooLargeException(total, maxBytes);
            }

            using var stream = new MemoryStream((int)file.Length);
            await file.CopyToAsync(stream, cancellationToken);
            images.Add(stream.ToArray());
        }

        return images;
    }
}
