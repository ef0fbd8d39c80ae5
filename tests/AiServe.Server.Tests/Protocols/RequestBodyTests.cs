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
    public async Task Dispose_PoolsSmallBuffersOnly(int size, bool pooled)
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
}
