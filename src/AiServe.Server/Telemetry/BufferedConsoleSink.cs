using System.Text;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace AiServe.Server.Telemetry;

/// <summary>
/// The Production log sink: JSON lines on standard output through one buffered writer, flushed every
/// <c>interval</c>, when the host is disposed, and when the process exits, so that a busy server does not pay a
/// write system call for every request's log line. Each event is formatted outside the lock (into a per-thread
/// buffer) and appended whole under it, so lines never interleave. If the process is killed hard, at most the last
/// interval's lines are lost.
/// </summary>
internal sealed class BufferedConsoleSink : ILogEventSink, IDisposable
{
    [ThreadStatic]
    private static StringWriter? _scratch;

    private readonly ITextFormatter _formatter;
    private readonly StreamWriter _stdout;
    private readonly Lock _lock = new();
    private readonly ITimer _timer;

    public BufferedConsoleSink(ITextFormatter formatter, TimeProvider timeProvider, TimeSpan interval)
    {
        _formatter = formatter;
        _stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024) { AutoFlush = false };
        _timer = timeProvider.CreateTimer(static s => ((BufferedConsoleSink)s!).Flush(), this, interval, interval);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Flush();
    }

    public void Emit(LogEvent logEvent)
    {
        var scratch = _scratch ??= new StringWriter(new StringBuilder(512), System.Globalization.CultureInfo.InvariantCulture);
        scratch.GetStringBuilder().Clear();
        _formatter.Format(logEvent, scratch);
        lock (_lock)
        {
            try
            {
                _stdout.Write(scratch.GetStringBuilder());
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Standard output went away (closed pipe): nothing left to write to.
            }
        }
    }

    public void Flush()
    {
        lock (_lock)
        {
            try
            {
                _stdout.Flush();
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
}
