using System.Buffers;
using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace AiServe.Server.Telemetry;

/// <summary>
/// The Production log sink: JSON lines on standard output through one 64 KB buffer, flushed every
/// <c>interval</c>, when the host is disposed, and when the process exits, so that a busy server does not pay a
/// write system call for every request's log line. Each event is formatted to UTF-8 outside the lock (into a
/// per-thread buffer) and appended whole under it, so lines never interleave; a line that does not fit writes the
/// buffer out first (the caller waits), so no line is dropped. The request line is written by
/// <see cref="RequestLogLine.TryWrite"/>, every other event by the formatter given. If the process is killed hard,
/// at most the last interval's lines are lost.
/// </summary>
internal sealed class BufferedConsoleSink : ILogEventSink, IDisposable
{
    private const int BufferSize = 64 * 1024;

    [ThreadStatic]
    private static Scratch? _scratch;

    private readonly ITextFormatter _formatter;
    private readonly Stream _output;
    private readonly byte[] _buffer = new byte[BufferSize];
    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private int _count;

    public BufferedConsoleSink(ITextFormatter formatter, TimeProvider timeProvider, TimeSpan interval)
        : this(formatter, Console.OpenStandardOutput(), timeProvider, interval)
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Flush();
    }

    /// <summary>A sink over any stream (tests and benchmarks); the caller owns the stream.</summary>
    internal BufferedConsoleSink(ITextFormatter formatter, Stream output, TimeProvider timeProvider, TimeSpan interval)
    {
        _formatter = formatter;
        _output = output;
        _timer = timeProvider.CreateTimer(static s => ((BufferedConsoleSink)s!).Flush(), this, interval, interval);
    }

    public void Emit(LogEvent logEvent)
    {
        var scratch = _scratch ??= new Scratch();
        var bytes = scratch.Bytes;
        bytes.ResetWrittenCount();
        if (!RequestLogLine.TryWrite(logEvent, bytes))
        {
            scratch.Format(_formatter, logEvent);
        }

        lock (_lock)
        {
            try
            {
                Append(bytes.WrittenSpan);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Standard output went away (closed pipe): nothing left to write to.
            }
        }

        if (bytes.Capacity > Scratch.MaxKeptBytes)
        {
            _scratch = null;
        }
    }

    public void Flush()
    {
        lock (_lock)
        {
            try
            {
                WriteBuffer();
                _output.Flush();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Standard output went away.
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Flush();
    }

    private void Append(ReadOnlySpan<byte> line)
    {
        if (line.Length > _buffer.Length - _count)
        {
            WriteBuffer();
        }

        if (line.Length > _buffer.Length)
        {
            _output.Write(line);
            return;
        }

        line.CopyTo(_buffer.AsSpan(_count));
        _count += line.Length;
    }

    private void WriteBuffer()
    {
        if (_count == 0)
        {
            return;
        }

        var count = _count;
        _count = 0;
        _output.Write(_buffer, 0, count);
    }

    /// <summary>One thread's formatting buffers, kept for the thread's lifetime.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A StringWriter over a StringBuilder holds no unmanaged resource; the scratch lives as long as its thread.")]
    private sealed class Scratch
    {
        /// <summary>A thread keeps its buffer unless one event (a long exception, say) grew it past this.</summary>
        public const int MaxKeptBytes = 64 * 1024;

        private readonly StringWriter _text = new(new StringBuilder(512), System.Globalization.CultureInfo.InvariantCulture);
        private readonly Encoder _encoder = new UTF8Encoding(false).GetEncoder();

        public ArrayBufferWriter<byte> Bytes { get; } = new(1024);

        /// <summary>Formats through the Serilog formatter, then encodes the text to UTF-8 into <see cref="Bytes"/>.</summary>
        public void Format(ITextFormatter formatter, LogEvent logEvent)
        {
            var text = _text.GetStringBuilder();
            text.Clear();
            formatter.Format(logEvent, _text);
            _encoder.Reset();
            foreach (var chunk in text.GetChunks())
            {
                var span = Bytes.GetSpan(Encoding.UTF8.GetMaxByteCount(chunk.Length));
                Bytes.Advance(_encoder.GetBytes(chunk.Span, span, flush: false));
            }

            var tail = Bytes.GetSpan(8);
            Bytes.Advance(_encoder.GetBytes([], tail, flush: true));
            if (text.Capacity > MaxKeptBytes)
            {
                text.Clear().Capacity = 512;
            }
        }
    }
}
