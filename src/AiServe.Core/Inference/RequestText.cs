namespace AiServe.Core.Inference;

/// <summary>
/// System.Text.Json checks a request's JSON syntax when it parses it, but decodes a string only when it is read:
/// invalid UTF-8 inside a string, or an escaped UTF-16 surrogate without its pair (<c>"\ud800"</c>), surfaces then
/// as an <see cref="InvalidOperationException"/>. The readers of request bodies turn those into the client's error.
/// </summary>
public static class RequestText
{
    /// <summary>Whether <paramref name="ex"/> is System.Text.Json refusing a value read from the request.</summary>
    /// <remarks>
    /// Told by where it was thrown: System.Text.Json marks its <c>Source</c> with an internal value of its own
    /// ("System.Text.Json.Rethrowable"), not something to rely on.
    /// </remarks>
    public static bool IsUnreadable(Exception ex) =>
        ex is InvalidOperationException && ex.TargetSite?.DeclaringType?.Assembly == typeof(System.Text.Json.JsonElement).Assembly;

    /// <summary>The client's error for such a value: <paramref name="where"/>, then System.Text.Json's own words.</summary>
    public static InferenceException Unreadable(string where, Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return new InferenceException(InferenceErrorCode.InvalidArgument, $"{where}: {ex.Message}");
    }
}
