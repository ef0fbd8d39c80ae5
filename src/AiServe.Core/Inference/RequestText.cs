using System.Text.Json;

namespace AiServe.Core.Inference;

/// <summary>
/// System.Text.Json checks a request's JSON syntax when it parses it, but decodes a string only when it is read:
/// invalid UTF-8 inside a string, or an escaped UTF-16 surrogate without its pair (<c>"\ud800"</c>), surfaces then
/// as an <see cref="InvalidOperationException"/> (wrapped in a <see cref="JsonException"/> when the serializer met it).
/// The readers of request bodies turn those, and syntax errors, into the client's error.
/// </summary>
public static class RequestText
{
    /// <summary>The prefix of every error about a request body that is not JSON, or not readable JSON.</summary>
    private const string MalformedJson = "malformed JSON in the request body";

    /// <summary>Whether <paramref name="ex"/> is System.Text.Json refusing the text of a value read from the request.</summary>
    /// <remarks>
    /// Told by where it was thrown: System.Text.Json marks its <c>Source</c> with an internal value of its own
    /// ("System.Text.Json.Rethrowable"), not something to rely on.
    /// </remarks>
    public static bool IsUnreadable(Exception ex) =>
        Cause(ex) is InvalidOperationException cause && cause.TargetSite?.DeclaringType?.Assembly == typeof(JsonElement).Assembly;

    /// <summary>Whether <paramref name="ex"/> says the request's JSON is malformed or holds text that cannot be read.</summary>
    public static bool IsMalformed(Exception ex) => ex is JsonException || IsUnreadable(ex);

    /// <summary>The client's error for a body that <see cref="IsMalformed"/> refused.</summary>
    public static InferenceException Malformed(Exception ex) => Unreadable(MalformedJson, ex);

    /// <summary>The client's error for an unreadable value: <paramref name="where"/>, then System.Text.Json's own words.</summary>
    public static InferenceException Unreadable(string where, Exception ex) =>
        new(InferenceErrorCode.InvalidArgument, $"{where}: {Cause(ex).Message}");

    private static Exception Cause(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex is JsonException { InnerException: { } inner } ? inner : ex;
    }
}
