using System.Buffers;
using AiServe.Core.Inference;

namespace AiServe.Server.Protocols;

/// <summary>A request body read whole into a pooled buffer; returned to the pool on dispose.</summary>
internal sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    /// <summary>The body's bytes; valid until <see cref="Dispose"/>. Tensors decoded from it may point into it.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>The body's bytes as a read-only, seekable stream; valid until <see cref="Dispose"/>.</summary>
    public Stream AsStream() => new MemoryStream(_buffer ?? throw new ObjectDisposedException(nameof(RequestBody)), 0, Length, writable: false);

    /// <summary>Reads the whole body, refusing one larger than <paramref name="maxBytes"/>.</summary>
    /// <exception cref="RequestTooLargeException">The body is larger than the limit.</exception>
    /// <exception cref="InferenceException">InvalidArgument when a compressed body does not decompress.</exception>
    /// <exception cref="BadHttpRequestException">415 for a Content-Encoding that is not decoded.</exception>
    public static async ValueTask<RequestBody> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        // ASP.NET Core's decompression takes off the encodings it decodes (gzip, deflate, br); one left is unknown,
        // and reading the bytes as they are would only turn it into a misleading JSON error (or a wrong tensor).
        if (request.Headers.ContentEncoding is { Count: > 0 } encoding && !string.Equals(encoding.ToString(), "identity", StringComparison.OrdinalIgnoreCase))
        {
            request.HttpContext.Response.Headers.AcceptEncoding = "gzip, deflate, br"; // what a 415 for an encoding names (RFC 9110)
            throw new BadHttpRequestException(
                $"Content-Encoding '{encoding}' is not supported; send the body as is, or with gzip, deflate or br", StatusCodes.Status415UnsupportedMediaType);
        }

        var declared = request.ContentLength;
        if (declared > maxBytes)
        {
            throw new RequestTooLargeException(declared.Value, maxBytes);
        }

        var capacity = (int)Math.Min(declared ?? 16 * 1024, maxBytes);
        var buffer = Rent(Math.Max(capacity, 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= maxBytes)
                    {
                        // One more byte would pass the limit: check whether the body really goes on.
                        var probe = new byte[1];
                        if (await request.Body.ReadAsync(probe, cancellationToken) > 0)
                        {
                            throw new RequestTooLargeException(length + 1L, maxBytes);
                        }

                        break;
                    }

                    var bigger = Rent((int)Math.Min((long)buffer.Length * 2, maxBytes));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    Return(buffer);
                    buffer = bigger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            return new RequestBody(buffer, length);
        }
        catch (Exception ex) when (ex is InvalidDataException || ex is InvalidOperationException && ex.TargetSite?.DeclaringType?.Assembly == typeof(System.IO.Compression.BrotliStream).Assembly)
        {
            // (Brotli says so with an InvalidOperationException, gzip and deflate with an InvalidDataException.)
            // A compressed body (Content-Encoding) that does not decompress is the client's error. (ASP.NET Core's
            // decompression has taken the Content-Encoding header off the request by now.)
            Return(buffer);
            throw new InferenceException(InferenceErrorCode.InvalidArgument, $"the request body does not decompress (Content-Encoding): {ex.Message}");
        }
        catch
        {
            Return(buffer);
            throw;
        }
    }

    // Bodies up to 1 MiB use the shared pool; up to 16 MiB a pool of their own that keeps at most four buffers of each
    // size (120 MiB in all); larger ones are allocated and left to the collector. The shared pool keeps what it is
    // given, so a burst of 64 MB bodies (refused or not) left gigabytes held for good.
    private const int SharedLimit = 1 << 20;
    private const int LargeLimit = 16 << 20;
    private static readonly ArrayPool<byte> Large = ArrayPool<byte>.Create(LargeLimit, maxArraysPerBucket: 4);

    private static byte[] Rent(int size) => size switch
    {
        <= SharedLimit => ArrayPool<byte>.Shared.Rent(size),
        <= LargeLimit => Large.Rent(size),
        _ => GC.AllocateUninitializedArray<byte>(size),
    };

    private static void Return(byte[] buffer)
    {
        if (buffer.Length <= SharedLimit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        else if (buffer.Length <= LargeLimit)
        {
            Large.Return(buffer);
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            Return(buffer);
        }
    }
}
