using System.Net;
using System.Net.Sockets;
using System.Text;

namespace AiServe.Server.Tests;

/// <summary>Requests written byte for byte on a socket, for tests of what happens to a connection (over real Kestrel).</summary>
internal static class RawHttp
{
    /// <summary>
    /// Sends <paramref name="request"/> (which may stop mid-body) and reads what the server sends until it closes the
    /// connection: at most 30 s, so that a server that keeps it open fails the test.
    /// </summary>
    public static async Task<string> SendUntilClosedAsync(Uri server, string request)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, server.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new MemoryStream();
        await stream.CopyToAsync(received, cts.Token);
        return Encoding.ASCII.GetString(received.ToArray());
    }
}
