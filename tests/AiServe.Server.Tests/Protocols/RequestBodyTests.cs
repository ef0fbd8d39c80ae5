using System.Buffers;
using System.Runtime.InteropServices;
using AiServe.Server.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiServe.Server.Tests.Protocols;

public sealed class RequestBodyTests
{
    [Theory]
    [InlineData(64 * 1024, true)]
    [InlineData(3 * 1024 * 1024, false)]
    [InlineData(20 * 1024 * 1024, false)]
    public async Task Dispose_SharesOnlySmallBuffersWithTheSharedPool(int size, bool pooled)
    {
        // The shared pool keeps what it is given: a burst of large bodies left gigabytes held for good.
        var http = new DefaultHttpContext();
        http.Request.Body = new MemoryStream(new byte[size]);
        http.Request.ContentLength = size;
        var body = await RequestBody.ReadAsync(http.Request, 64L * 1024 * 1024, CancellationToken.None);
        Assert.Equal(size, body.Length);
        Assert.True(MemoryMarshal.TryGetArray(body.Memory, out var segment));

        body.Dispose();

        // On this thread the pool hands back the array it was last given, if it was given one.
        var next = ArrayPool<byte>.Shared.Rent(segment.Array!.Length);
        Assert.Equal(pooled, ReferenceEquals(next, segment.Array));
        ArrayPool<byte>.Shared.Return(next);
    }

    [Fact]
    public async Task Dispose_BodyUpTo16MiB_ItsBufferIsReusedByTheNextOne()
    {
        // A 3 MB image body per request should not cost a fresh large array each time.
        var first = await ArrayOfBodyAsync(3 * 1024 * 1024);
        var second = await ArrayOfBodyAsync(3 * 1024 * 1024);

        Assert.Same(first, second);
    }

    private static async Task<byte[]> ArrayOfBodyAsync(int size)
    {
        var http = new DefaultHttpContext();
        http.Request.Body = new MemoryStream(new byte[size]);
        http.Request.ContentLength = size;
        using var body = await RequestBody.ReadAsync(http.Request, 64L * 1024 * 1024, CancellationToken.None);
        Assert.True(MemoryMarshal.TryGetArray(body.Memory, out var segment));
        return segment.Array!;
    }
}
