using System.Buffers;
using System.Text.Json;

namespace AiServe.Server.Protocols;

/// <summary>
/// A response body being built: JSON written into a buffer rented from <see cref="ArrayPool{T}"/> (returned on
/// dispose) by a <see cref="Utf8JsonWriter"/> reused per thread, so that encoding a response allocates no buffer
/// proportional to its size. Write the JSON synchronously between <see cref="Start"/> and <see cref="Finish"/>: the
/// writer belongs to the thread until then.
/// </summary>
internal sealed class PooledJsonBuffer : IBufferWriter<byte>, IDisposable
{
    [ThreadStatic]
    private static Utf8JsonWriter? _cachedWriter;

    private byte[] _buffer;
    private int _written;
    private Utf8JsonWriter? _writer;

    public PooledJsonBuffer(int initialSize = 4096)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialSize);
    }

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public int WrittenCount => _written;

    /// <summary>Takes this thread's JSON writer, pointed at this buffer.</summary>
    public Utf8JsonWriter Start()
    {
        _writer = _cachedWriter ?? new Utf8JsonWriter(this, InferenceHttp.WriterOptions);
        _cachedWriter = null;
        _writer.Reset(this);
        return _writer;
    }

    /// <summary>Flushes the JSON into the buffer and gives the writer back to the thread.</summary>
    public void Finish()
    {
        var writer = _writer ?? throw new InvalidOperationException("Start was not called");
        writer.Flush();
        writer.Reset(Stream.Null);
        _writer = null;
        _cachedWriter = writer;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _written + needed));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
