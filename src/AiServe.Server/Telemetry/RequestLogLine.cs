using System.Buffers;
using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Parsing;

namespace AiServe.Server.Telemetry;

/// <summary>
/// The request log line: its message template and property names, and a direct UTF-8 writer for it in compact JSON
/// (CLEF). The writer produces the bytes <see cref="RenderedCompactJsonFormatter"/> would (<c>@t</c>, <c>@m</c>,
/// <c>@i</c>, <c>@l</c> unless Information, <c>@x</c>, <c>@tr</c>, <c>@sp</c>, then the properties), without
/// rendering the message to a string, formatting the timestamp, hash and ids to strings, and re-encoding the
/// characters: the per-request part of the log's cost. It handles only events with this template whose property
/// values are scalars of the types the request line uses; every other event goes through the Serilog formatter.
/// </summary>
internal static class RequestLogLine
{
    public const string Text =
        "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.000} ms (model {Model}, version {ModelVersion}, trace {TraceId})";

    public const string RequestMethod = "RequestMethod";
    public const string RequestPath = "RequestPath";
    public const string StatusCode = "StatusCode";
    public const string Elapsed = "Elapsed";
    public const string Model = "Model";
    public const string ModelVersion = "ModelVersion";
    public const string TraceId = "TraceId";
    public const string RequestId = "RequestId";
    public const string ConnectionId = "ConnectionId";

    private const string ElapsedFormat = "0.000";

    /// <summary>Parsed once; events carry this instance, which is how the sink recognises them.</summary>
    public static readonly MessageTemplate Template = new MessageTemplateParser().Parse(Text);

    private static readonly byte[] EventId = Encoding.ASCII.GetBytes(EventIdHash.Compute(Text).ToString("x8", CultureInfo.InvariantCulture));

    private static readonly SearchValues<char> Special = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

    /// <summary>The template's tokens, with text (and the text of a property token, for a missing property) already escaped to JSON UTF-8.</summary>
    private static readonly Part[] Parts = [.. Template.Tokens.Select(t => t switch
    {
        PropertyToken p when p.Alignment is null => new Part(Escaped(p.ToString()), p.PropertyName, p.Format),
        PropertyToken => throw new InvalidOperationException("the request template has no aligned properties"),
        _ => new Part(Escaped(((TextToken)t).Text), null, null),
    })];

    private static readonly int PartsLength = Parts.Sum(p => p.Json.Length);

    /// <summary>
    /// Appends the event's CLEF line (with its newline) to <paramref name="output"/>, or returns false, having
    /// written nothing, if the event is not a request line this writer handles.
    /// </summary>
    public static bool TryWrite(LogEvent logEvent, ArrayBufferWriter<byte> output)
    {
        if (!ReferenceEquals(logEvent.MessageTemplate, Template)
            || logEvent.Properties is not Dictionary<string, LogEventPropertyValue> properties)
        {
            return false;
        }

        // Worst case: every character escaped as \uXXXX (6 bytes), each string once in the message and once as a value.
        var exception = logEvent.Exception?.ToString();
        var max = 512 + PartsLength + (6 * (exception?.Length ?? 0));
        foreach (var (name, value) in properties)
        {
            switch (value)
            {
                case ScalarValue { Value: string s }:
                    max += 6 * (name.Length + s.Length + s.Length) + 16;
                    break;
                case ScalarValue { Value: null or int or double }:
                    max += (6 * name.Length) + 80;
                    break;
                default:
                    return false;
            }
        }

        var d = output.GetSpan(max);
        var i = 0;
        Put(d, ref i, "{\"@t\":\""u8);
        logEvent.Timestamp.UtcDateTime.TryFormat(d[i..], out var n, "O", CultureInfo.InvariantCulture);
        i += n;
        Put(d, ref i, "\",\"@m\":\""u8);
        foreach (var part in Parts)
        {
            if (part.Property is null || !properties.TryGetValue(part.Property, out var value))
            {
                Put(d, ref i, part.Json);
                continue;
            }

            switch (((ScalarValue)value).Value)
            {
                case null:
                    Put(d, ref i, "null"u8);
                    break;
                case string s when part.Format == "l":
                    Escape(d, ref i, s, quoteForMessage: false);
                    break;
                case string s:
                    Put(d, ref i, "\\\""u8);
                    Escape(d, ref i, s, quoteForMessage: true);
                    Put(d, ref i, "\\\""u8);
                    break;
                case int number:
                    InMessage(d, ref i, number, part.Format);
                    break;
                case double number when part.Format == ElapsedFormat && TryWriteWholeNanoseconds(d, ref i, number):
                    break;
                case double number:
                    InMessage(d, ref i, number, part.Format);
                    break;
            }
        }

        Put(d, ref i, "\",\"@i\":\""u8);
        Put(d, ref i, EventId);
        Put(d, ref i, "\""u8);
        if (logEvent.Level != LogEventLevel.Information)
        {
            Put(d, ref i, ",\"@l\":\""u8);
            Put(d, ref i, LevelName(logEvent.Level));
            Put(d, ref i, "\""u8);
        }

        if (exception is not null)
        {
            Put(d, ref i, ",\"@x\":\""u8);
            Escape(d, ref i, exception, quoteForMessage: false);
            Put(d, ref i, "\""u8);
        }

        // The ids hold their lower-case hex text already (CopyTo would parse it back into bytes).
        if (logEvent.TraceId is { } traceId)
        {
            Put(d, ref i, ",\"@tr\":\""u8);
            Ascii(d, ref i, traceId.ToHexString());
            Put(d, ref i, "\""u8);
        }

        if (logEvent.SpanId is { } spanId)
        {
            Put(d, ref i, ",\"@sp\":\""u8);
            Ascii(d, ref i, spanId.ToHexString());
            Put(d, ref i, "\""u8);
        }

        foreach (var (name, value) in properties)
        {
            Put(d, ref i, ",\""u8);
            if (name.Length > 0 && name[0] == '@')
            {
                Put(d, ref i, "@"u8); // escaped by doubling, as the formatter does
            }

            Escape(d, ref i, name, quoteForMessage: false);
            Put(d, ref i, "\":"u8);
            switch (((ScalarValue)value).Value)
            {
                case null:
                    Put(d, ref i, "null"u8);
                    break;
                case string s:
                    Put(d, ref i, "\""u8);
                    Escape(d, ref i, s, quoteForMessage: false);
                    Put(d, ref i, "\""u8);
                    break;
                case int number:
                    number.TryFormat(d[i..], out n, default, CultureInfo.InvariantCulture);
                    i += n;
                    break;
                case double number when double.IsNaN(number) || double.IsInfinity(number):
                    Put(d, ref i, "\""u8);
                    Escape(d, ref i, number.ToString(CultureInfo.InvariantCulture), quoteForMessage: false);
                    Put(d, ref i, "\""u8);
                    break;
                case double number:
                    number.TryFormat(d[i..], out n, "R", CultureInfo.InvariantCulture);
                    i += n;
                    break;
            }
        }

        Put(d, ref i, "}\n"u8);
        output.Advance(i);
        return true;
    }

    private static ReadOnlySpan<byte> LevelName(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "Verbose"u8,
        LogEventLevel.Debug => "Debug"u8,
        LogEventLevel.Information => "Information"u8,
        LogEventLevel.Warning => "Warning"u8,
        LogEventLevel.Error => "Error"u8,
        LogEventLevel.Fatal => "Fatal"u8,
        _ => Encoding.ASCII.GetBytes(((int)level).ToString(CultureInfo.InvariantCulture)),
    };

    private static void Put(Span<byte> d, ref int i, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(d[i..]);
        i += bytes.Length;
    }

    /// <summary>Text known to be ASCII (hex ids), one byte per character.</summary>
    private static void Ascii(Span<byte> d, ref int i, string text)
    {
        System.Text.Ascii.FromUtf16(text, d[i..], out var n);
        i += n;
    }

    /// <summary>
    /// <c>{Elapsed:0.000}</c> as <c>double.ToString("0.000", InvariantCulture)</c> renders it (the value's 15
    /// significant digits, then rounded half up to three decimals), when the value is a whole number of nanoseconds
    /// in milliseconds: the nearest double to t / 10^6 for an integer t below 10^12, which is what the middleware's
    /// Stopwatch arithmetic gives where the Stopwatch counts nanoseconds (Linux). Such a value's 15 significant
    /// digits are t's own (a decimal of at most 15 digits survives the round trip through the nearest double), so
    /// the rounding is integer arithmetic on t. False, having written nothing, for any other value.
    /// </summary>
    internal static bool TryWriteWholeNanoseconds(Span<byte> d, ref int i, double milliseconds)
    {
        if (!(milliseconds >= 0 && milliseconds < 1e6) || double.IsNegative(milliseconds))
        {
            return false;
        }

        var t = (long)Math.Round(milliseconds * 1e6);
        if ((double)(t * 1000) / 1e9 != milliseconds)
        {
            return false;
        }

        // The fourth decimal is (t / 100) % 10: half up at 5, so t's last three digits >= 500 round up.
        var micros = (t + 500) / 1000;
        (micros / 1000).TryFormat(d[i..], out var n, default, CultureInfo.InvariantCulture);
        i += n;
        var fraction = (int)(micros % 1000);
        d[i] = (byte)'.';
        d[i + 1] = (byte)('0' + (fraction / 100));
        d[i + 2] = (byte)('0' + (fraction / 10 % 10));
        d[i + 3] = (byte)('0' + (fraction % 10));
        i += 4;
        return true;
    }

    /// <summary>A number inside the message, as Serilog renders it (<c>ToString(format, InvariantCulture)</c>), escaped for JSON.</summary>
    private static void InMessage<T>(Span<byte> d, ref int i, T value, string? format)
        where T : ISpanFormattable
    {
        Span<char> chars = stackalloc char[64];
        if (value.TryFormat(chars, out var n, format, CultureInfo.InvariantCulture))
        {
            Escape(d, ref i, chars[..n], quoteForMessage: false);
        }
        else
        {
            Escape(d, ref i, value.ToString(format, CultureInfo.InvariantCulture), quoteForMessage: false);
        }
    }

    /// <summary>
    /// The characters of a JSON string, escaped as Serilog's <c>JsonValueFormatter.WriteQuotedJsonString</c>
    /// escapes them (quote, backslash, control characters; everything else as UTF-8). With
    /// <paramref name="quoteForMessage"/>, a double quote is first escaped for the message (<c>\"</c>), as Serilog
    /// renders a string property inside a message, and that is then escaped for JSON.
    /// </summary>
    private static void Escape(Span<byte> d, ref int i, ReadOnlySpan<char> s, bool quoteForMessage)
    {
        while (true)
        {
            var k = s.IndexOfAny(Special);
            var clean = k < 0 ? s : s[..k];
            i += Encoding.UTF8.GetBytes(clean, d[i..]);
            if (k < 0)
            {
                return;
            }

            var c = s[k];
            switch (c)
            {
                case '"' when quoteForMessage:
                    Put(d, ref i, "\\\\\\\""u8);
                    break;
                case '"':
                    Put(d, ref i, "\\\""u8);
                    break;
                case '\\':
                    Put(d, ref i, "\\\\"u8);
                    break;
                case '\n':
                    Put(d, ref i, "\\n"u8);
                    break;
                case '\r':
                    Put(d, ref i, "\\r"u8);
                    break;
                case '\f':
                    Put(d, ref i, "\\f"u8);
                    break;
                case '\t':
                    Put(d, ref i, "\\t"u8);
                    break;
                default:
                    Put(d, ref i, "\\u"u8);
                    ((int)c).TryFormat(d[i..], out var n, "X4", CultureInfo.InvariantCulture);
                    i += n;
                    break;
            }

            s = s[(k + 1)..];
        }
    }

    private static byte[] Escaped(string text)
    {
        var bytes = new byte[(text.Length * 6) + 8];
        var i = 0;
        Escape(bytes, ref i, text, quoteForMessage: false);
        return bytes[..i];
    }

    /// <summary>A token of the template: its JSON text, and for a property token the property's name and format.</summary>
    private sealed record Part(byte[] Json, string? Property, string? Format);
}
