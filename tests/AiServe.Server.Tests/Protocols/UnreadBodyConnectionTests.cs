using System.Net;
using System.Text;
using AiServe.Tests.Common;

namespace AiServe.Server.Tests.Protocols;

/// <summary>
/// Answers given with the request's body left unread (too large; cut off by the request's deadline), over real
/// Kestrel on a loopback socket: the answer says <c>Connection: close</c>, the server then closes the connection, and
/// the client's next request on a new connection is served. Without the header a client sends its next request on a
/// connection the server is closing, and loses it.
/// </summary>
public sealed class UnreadBodyConnectionTests
{
    private const string IrisBody = """{"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}""";

    [Theory]
    [InlineData("X-Request-Timeout: 50\r\n", 5_000, 504, "passed while its body was being read")]
    [InlineData("", 200_000, 413, "larger than the limit of 100000 bytes")]
    public async Task Post_BodyLeftUnread_AnswersConnectionCloseThenClosesAndServesTheNextConnection(
        string extraHeader, int declaredLength, int status, string message)
    {
        await using var factory = new AiServeFactory(TestPaths.Models, maxBodyBytes: 100_000);
        var address = await factory.StartOnKestrelAsync();

        // The headers and the first bytes of a body that never comes whole.
        var answer = await RawHttp.SendUntilClosedAsync(address,
            $"POST /v2/models/iris/infer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n{extraHeader}Content-Length: {declaredLength}\r\n\r\n" + """{"inputs": [""");

        Assert.StartsWith($"HTTP/1.1 {status} ", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n", answer, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(message, answer, StringComparison.Ordinal);

        // The server is fine; the client's next request goes on a new connection.
        using var client = new HttpClient { BaseAddress = address };
        using var content = new StringContent(IrisBody, Encoding.UTF8, "application/json");
        using var next = await client.PostAsync("/v2/models/iris/infer", content);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Post_MultipartCutOffByItsDeadline_Answers504()
    {
        // The form reader aborted the connection when the deadline cancelled its read: the client got no answer.
        await using var factory = new AiServeFactory(TestPaths.Models, maxBodyBytes: 100_000);
        var address = await factory.StartOnKestrelAsync();

        var answer = await RawHttp.SendUntilClosedAsync(address,
            "POST /v1/models/fashion-mnist:predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\nX-Request-Timeout: 50\r\nContent-Length: 5000\r\n\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 504 ", answer, StringComparison.Ordinal);
        Assert.Contains("passed while its body was being read", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ChunkedMultipartPastTheLimit_Returns413()
    {
        // Without a length up front Kestrel's own limit stops the form reader; that is a 413, not a malformed body.
        await using var factory = new AiServeFactory(TestPaths.Models, maxBodyBytes: 100_000);
        var address = await factory.StartOnKestrelAsync();
        var part = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n" + new string('x', 150_000);

        var answer = await RawHttp.SendUntilClosedAsync(address,
            "POST /v1/models/fashion-mnist:predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n"
            + $"{part.Length:x}\r\n{part}\r\n");

        Assert.StartsWith("HTTP/1.1 413 ", answer, StringComparison.Ordinal);
        Assert.Contains("\"error\"", answer, StringComparison.Ordinal);
    }
}
