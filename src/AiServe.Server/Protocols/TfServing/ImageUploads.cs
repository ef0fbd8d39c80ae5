using AiServe.Core.Inference;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace AiServe.Server.Protocols.TfServing;

/// <summary>Image uploads to an image model's predict: a raw <c>image/*</c> body, or <c>multipart/form-data</c> files.</summary>
internal static class ImageUploads
{
    public static bool IsUpload(HttpRequest request) =>
        request.ContentType is { } type
        && (type.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || request.HasFormContentType && type.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase));

    /// <summary>The most files one upload may carry (as ASP.NET Core's form reader allows by default).</summary>
    public const int MaxFiles = 1024;

    /// <summary>
    /// The images of the request. The body is read whole first (bounded by the body limit and by the request's deadline,
    /// as every body is), then its parts are taken apart in memory: a form read from the connection reacts to a
    /// cancelled deadline by aborting the connection, so the client got no answer at all.
    /// </summary>
    public static async Task<IReadOnlyList<ReadOnlyMemory<byte>>> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        using var body = await RequestBody.ReadAsync(request, maxBytes, cancellationToken);
        if (!request.HasFormContentType)
        {
            return [body.Memory.ToArray()];
        }

        var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            ? HeaderUtilities.RemoveQuotes(type.Boundary).Value
            : null;
        if (string.IsNullOrEmpty(boundary))
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument, "malformed multipart body: the Content-Type has no boundary");
        }

        var images = new List<ReadOnlyMemory<byte>>();
        var scratch = new byte[16 * 1024];
        try
        {
            var reader = new MultipartReader(boundary, body.AsStream());
            while (await reader.ReadNextSectionAsync(CancellationToken.None) is { } section)
            {
                // Files only, as a form's Files are: a part with a file name.
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.IsFileDisposition())
                {
                    continue;
                }

                if (images.Count == MaxFiles)
                {
                    throw new InferenceException(InferenceErrorCode.InvalidArgument, $"the multipart upload has more than {MaxFiles} files");
                }

                // Read through (the reader checks the part's framing) to learn its length, then copy it out of the
                // body once: the body's buffer goes back to its pool when this method returns.
                var start = section.BaseStreamOffset ?? throw new InvalidOperationException("a request body is seekable");
                long length = 0;
                int read;
                while ((read = await section.Body.ReadAsync(scratch, CancellationToken.None)) > 0)
                {
                    length += read;
                }

                images.Add(body.Memory.Slice((int)start, (int)length).ToArray());
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            // A broken part, or the body ending inside one.
            throw new InferenceException(InferenceErrorCode.InvalidArgument, $"malformed multipart body: {ex.Message}");
        }

        if (images.Count == 0)
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument,
                "the multipart upload has no files; send each image as a file part");
        }

        return images;
    }
}
