using System.Globalization;
using AiServe.Core.Inference;
using AiServe.Core.Lifecycle;
using AiServe.Server.Hosting;
using AiServe.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace AiServe.Server.Protocols;

/// <summary>
/// What every protocol's inference handler does the same way: read the version or label from the route, resolve
/// the version and hold it for the request, refuse at once when its queue is full, and turn failures into
/// <c>{"error": "..."}</c> answers with the protocol's own status for each error code. Both the V2 protocol and TF
/// Serving use that error body; only the status mapping differs.
/// </summary>
internal static class InferenceHttp
{
    /// <summary>The request header that asks for a deadline, in milliseconds, on every inference endpoint.</summary>
    public const string TimeoutHeader = "X-Request-Timeout";

    /// <summary>
    /// The longest deadline a request can ask for: ~31 years, which <see cref="TimeSpan"/> holds (no timer is armed
    /// for a deadline that long). Longer asks count as this.
    /// </summary>
    private const long LongestTimeoutMs = 1_000_000_000_000;

    /// <summary>
    /// How API responses are written: no HTML-safe escaping (these are JSON APIs, not pages), so a message reads
    /// "model 'iris'" rather than "model \u0027iris\u0027".
    /// </summary>
    public static readonly System.Text.Json.JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Parses a version route segment (null when the route has none).</summary>
    /// <exception cref="InferenceException">InvalidArgument when it is not a positive integer.</exception>
    public static long? ParseVersion(string? version)
    {
        if (version is null)
        {
            return null;
        }

        return long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new InferenceException(InferenceErrorCode.InvalidArgument, $"model version '{version}' is not a positive integer");
    }

    /// <summary>
    /// A segment of the request's route (<c>{version}</c>, <c>{label}</c>), or null when its route has none. Handlers
    /// read these from the route only: bound as handler parameters, a route without the segment would take it from
    /// the query string instead (<c>/v2/models/m/infer?version=1</c>), which neither protocol has.
    /// </summary>
    private static string? RouteValue(HttpContext http, string name) =>
        http.Request.RouteValues.TryGetValue(name, out var value) ? value as string : null;

    /// <summary>
    /// The <c>{version}</c> and <c>{label}</c> the request's route addresses (null when it has none), also told to the
    /// request log with the model's name.
    /// </summary>
    public static (string? Version, string? Label) Addressed(HttpContext http, string model)
    {
        var (version, label) = (RouteValue(http, "version"), RouteValue(http, "label"));
        RequestLogContext.SetModel(http, model, version ?? label);
        return (version, label);
    }

    /// <summary>
    /// Runs an inference handler on the version a request addresses (the route's <c>{version}</c> or
    /// <c>{label}</c>, else the highest ready version). It resolves the version, holds a reference on
    /// it for the whole request, and tells the request log the model and version. When the version's queue is full
    /// it answers at once (ResourceExhausted, with <c>Retry-After</c>) before the body costs anything, without
    /// throwing: under overload most requests take that path. It reads the <c>X-Request-Timeout</c> header, whose
    /// deadline also bounds reading the body. Client mistakes and server states become error answers; a client that
    /// went away gets no answer.
    /// </summary>
    /// <remarks>
    /// The handler gets its state passed in (<paramref name="state"/>), so that it can be a static lambda: no closure
    /// and no delegate made per request.
    /// </remarks>
    public static async Task HandleAsync<TState>(
        HttpContext http, Func<InferenceErrorCode, int> statusOf, InferenceServices services, string model, TState state,
        Func<HttpContext, TState, InferenceCall, Task> handler)
    {
        var startedAt = services.Time.GetTimestamp();
        var aborted = http.RequestAborted;
        CancellationTokenSource? deadline = null;
        CancellationTokenSource? bodyRead = null;
        ModelVersion? version = null;
        TimeSpan? headerTimeout = null;
        try
        {
            var (versionText, label) = Addressed(http, model);
            using var lease = services.Manager.Acquire(model, ParseVersion(versionText), label);
            version = lease.Version;
            RequestLogContext.SetModel(http, model, version.VersionText);
            if (version.Scheduler?.CheckCapacity() is { } full)
            {
                await WriteInferenceErrorAsync(http, statusOf, full);
                return;
            }

            headerTimeout = HeaderTimeout(http.Request);
            if (headerTimeout is { } timeout && timeout <= Core.Repository.ModelConfigLoader.LongestWait)
            {
                var left = timeout - services.Time.GetElapsedTime(startedAt);
                deadline = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, services.Time);
                bodyRead = CancellationTokenSource.CreateLinkedTokenSource(aborted, deadline.Token);
            }

            await handler(http, state, new InferenceCall(version, startedAt, headerTimeout, bodyRead?.Token ?? aborted, aborted));
        }
        catch (InferenceException ex) when (!aborted.IsCancellationRequested)
        {
            await WriteInferenceErrorAsync(http, statusOf, ex);
        }
        catch (OperationCanceledException) when (deadline is { IsCancellationRequested: true } && !aborted.IsCancellationRequested)
        {
            // Only the body's read watches the header's deadline: the scheduler keeps the deadline itself from there.
            CloseAfterResponse(http);
            await WriteInferenceErrorAsync(http, statusOf, new InferenceException(InferenceErrorCode.DeadlineExceeded,
                $"the request's deadline of {headerTimeout!.Value.TotalMilliseconds:0.####} ms passed while its body was being read (model '{version!.ModelName}' version {version.VersionText})"));
        }
        catch (RequestTooLargeException ex)
        {
            // The rest of the body stays unread, as after a deadline.
            CloseAfterResponse(http);
            await WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge, ex.Message);
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own limits and framing errors (body too large, malformed chunked body).
            await WriteErrorAsync(http, ex.StatusCode, ex.Message);
        }
        catch (Exception ex) when (ex is Microsoft.AspNetCore.Connections.ConnectionResetException
            || (ex is InferenceException or OperationCanceledException or IOException && aborted.IsCancellationRequested))
        {
            // The client went away while its request was read, queued or run; its work was dropped. Nobody reads an
            // answer, and the request log says so with nginx's 499 (client closed request) rather than a 200 or a 500.
            if (!http.Response.HasStarted)
            {
                http.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            }
        }
        finally
        {
            bodyRead?.Dispose();
            deadline?.Dispose();
        }
    }

    /// <summary>
    /// For an answer given with the request's body left unread (too large, or cut off by the deadline): the connection
    /// cannot carry another request, so the answer says <c>Connection: close</c> and the client opens a new one,
    /// rather than finding this one closed under its next request.
    /// </summary>
    private static void CloseAfterResponse(HttpContext http)
    {
        if (!http.Response.HasStarted)
        {
            http.Response.Headers.Connection = "close";
        }
    }

    /// <summary>
    /// The deadline the <c>X-Request-Timeout</c> header asks for, in milliseconds (null without the header, or for 0,
    /// which asks for none, as Triton's timeout of 0 does).
    /// </summary>
    /// <exception cref="InferenceException">InvalidArgument when it is not a non-negative number.</exception>
    private static TimeSpan? HeaderTimeout(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(TimeoutHeader, out var header))
        {
            return null;
        }

        if (!double.TryParse(header.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) || ms < 0 || !double.IsFinite(ms))
        {
            throw new InferenceException(InferenceErrorCode.InvalidArgument, $"{TimeoutHeader} must be a non-negative number of milliseconds, got '{header}'");
        }

        return ms > 0 ? TimeSpan.FromMilliseconds(Math.Min(ms, LongestTimeoutMs)) : null;
    }

    /// <summary>
    /// A protocol's own timeout in microseconds (V2's <c>timeout</c> parameter) as a deadline: null for none or 0, as
    /// for the header; capped as the header is.
    /// </summary>
    public static TimeSpan? TimeoutFromMicroseconds(long? microseconds) =>
        microseconds is { } us and > 0 ? TimeSpan.FromMicroseconds(Math.Min(us, LongestTimeoutMs * 1000)) : null;

    /// <summary>An <see cref="InferenceException"/> as the protocol's error answer; a full queue adds <c>Retry-After</c>.</summary>
    private static Task WriteInferenceErrorAsync(HttpContext http, Func<InferenceErrorCode, int> statusOf, InferenceException ex)
    {
        if (ex.Code == InferenceErrorCode.ResourceExhausted && !http.Response.HasStarted)
        {
            http.Response.Headers.RetryAfter = "1";
        }

        return WriteErrorAsync(http, statusOf(ex.Code), ex.Message);
    }

    /// <summary>The message of a 405: the request and what the path allows.</summary>
    public static string MethodNotAllowed(HttpRequest request, string allowed) =>
        $"{request.Method} {request.Path}: the method is not allowed here (allowed: {allowed})";

    /// <summary>Writes <c>{"error": message}</c> unless the response has started.</summary>
    public static async Task WriteErrorAsync(HttpContext http, int status, string message)
    {
        if (http.Response.HasStarted)
        {
            return;
        }

        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await using var writer = new System.Text.Json.Utf8JsonWriter(http.Response.BodyWriter, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("error"u8, message);
        writer.WriteEndObject();
    }
}

/// <summary>
/// The singletons the inference handlers use, taken from the application's root services on first use. Handlers
/// that took them as parameters had ASP.NET Core make (and dispose) a service scope for every request to find
/// them; first use rather than mapping time, so that the options are still validated when the host starts.
/// </summary>
internal sealed class InferenceServices(IServiceProvider services)
{
    private ModelManager? _manager;
    private TimeProvider? _time;
    private IOptions<AiServeOptions>? _options;

    public ModelManager Manager => _manager ??= services.GetRequiredService<ModelManager>();

    /// <summary>The clock of deadlines: the same <see cref="TimeProvider"/> the schedulers use.</summary>
    public TimeProvider Time => _time ??= services.GetRequiredService<TimeProvider>();

    /// <summary>The largest request body taken (<c>AiServe:Limits:MaxRequestBodyBytes</c>).</summary>
    public long MaxRequestBodyBytes => (_options ??= services.GetRequiredService<IOptions<AiServeOptions>>()).Value.Limits.MaxRequestBodyBytes;
}
