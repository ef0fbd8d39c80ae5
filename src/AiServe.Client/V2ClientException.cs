using System.Net;

namespace AiServe.Client;

/// <summary>
/// The server answered a V2 call with an error status. <see cref="Exception.Message"/> is the server's
/// <c>{"error": "..."}</c> message when it sent one, else the status and the request's method and URL, followed by
/// the body's text (its first 1000 bytes) when there is one.
/// </summary>
public sealed class V2ClientException : Exception
{
    /// <summary>Creates an exception for an error answer.</summary>
    /// <param name="statusCode">The HTTP status the server answered with.</param>
    /// <param name="message">The server's error message.</param>
    public V2ClientException(HttpStatusCode statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>Creates an exception for a response the client could not understand (a protocol violation).</summary>
    /// <param name="statusCode">The HTTP status of the response.</param>
    /// <param name="message">What was wrong with the response.</param>
    /// <param name="innerException">The decoding error, if any.</param>
    public V2ClientException(HttpStatusCode statusCode, string message, Exception? innerException)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>Creates an exception with a message and no status (status 0).</summary>
    public V2ClientException()
        : this(0, "the V2 call failed")
    {
    }

    /// <summary>Creates an exception with a message and no status (status 0).</summary>
    /// <param name="message">The message.</param>
    public V2ClientException(string message)
        : this(0, message)
    {
    }

    /// <summary>Creates an exception with a message, an inner exception and no status (status 0).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public V2ClientException(string message, Exception innerException)
        : this(0, message, innerException)
    {
    }

    /// <summary>The HTTP status of the answer (0 when there was none).</summary>
    public HttpStatusCode StatusCode { get; }
}
