using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AiServe.Client;

/// <summary>
/// A client of the Open Inference Protocol (KServe V2) over REST, for any server that speaks it (AiServe, Triton,
/// KServe runtimes). Thread-safe: it holds only the <see cref="HttpClient"/>, which the caller owns and configures
/// (<see cref="HttpClient.BaseAddress"/> is the server's root, e.g. <c>http://127.0.0.1:8080/</c>).
/// </summary>
public sealed class V2Client
{
    private readonly HttpClient _http;
    private readonly string _root;

    /// <summary>Creates a client that sends through <paramref name="http"/>.</summary>
    /// <param name="http">An HTTP client whose <see cref="HttpClient.BaseAddress"/> is the server's root.</param>
    /// <exception cref="ArgumentException">The client has no base address.</exception>
    public V2Client(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _root = http.BaseAddress?.AbsoluteUri.TrimEnd('/')
            ?? throw new ArgumentException("the HttpClient needs a BaseAddress (the server's root URL)", nameof(http));
    }

    /// <summary>Whether the server is live (<c>GET /v2/health/live</c> answers 200).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<bool> ServerLiveAsync(CancellationToken cancellationToken = default) =>
        IsOkAsync("/v2/health/live", cancellationToken);

    /// <summary>Whether the server is ready (<c>GET /v2/health/ready</c> answers 200).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<bool> ServerReadyAsync(CancellationToken cancellationToken = default) =>
        IsOkAsync("/v2/health/ready", cancellationToken);

    /// <summary>The server's metadata (<c>GET /v2</c>).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="V2ClientException">The server answered with an error.</exception>
    public Task<ServerMetadata> ServerMetadataAsync(CancellationToken cancellationToken = default) =>
        GetJsonAsync("/v2", V2JsonContext.Default.ServerMetadata,
            m => m.Extensions?.Contains(null!) == true ? "'extensions' holds null" : null,
            cancellationToken);

    /// <summary>A model's metadata (<c>GET /v2/models/{model}[/versions/{version}]</c>).</summary>
    /// <param name="model">The model's name.</param>
    /// <param name="version">The version; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="V2ClientException">The server answered with an error (e.g. 404 for an unknown model).</exception>
    public Task<ModelMetadata> ModelMetadataAsync(string model, string? version = null, CancellationToken cancellationToken = default) =>
        GetJsonAsync(ModelPath(model, version, ""), V2JsonContext.Default.ModelMetadata,
            m => m.Inputs.Contains(null!) ? "'inputs' holds null" : m.Outputs.Contains(null!) ? "'outputs' holds null" : m.Versions?.Contains(null!) == true ? "'versions' holds null" : null,
            cancellationToken);

    /// <summary>
    /// Whether a model (version) is ready: true on 200, false on 503. Any other status (e.g. 404 for an unknown
    /// model) is an error, so that a typo is not mistaken for a model still loading.
    /// </summary>
    /// <param name="model">The model's name.</param>
    /// <param name="version">The version; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="V2ClientException">The server answered with a status other than 200 or 503.</exception>
    public async Task<bool> ModelReadyAsync(string model, string? version = null, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(new Uri(_root + ModelPath(model, version, "/ready")), cancellationToken);
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            return false;
        }

        await EnsureSuccessAsync(response, cancellationToken);
        return true;
    }

    /// <summary>Encodes <paramref name="request"/> as <paramref name="options"/> say, runs it and decodes the response.</summary>
    /// <param name="model">The model's name.</param>
    /// <param name="version">The version; null for the server's default.</param>
    /// <param name="request">The inputs (and optionally the outputs wanted).</param>
    /// <param name="options">JSON or binary tensor data for inputs and outputs; JSON when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="V2ClientException">The server answered with an error, or with a body that is not a V2 response.</exception>
    public Task<InferResponse> InferAsync(string model, string? version, InferRequest request, InferOptions? options = null, CancellationToken cancellationToken = default) =>
        InferAsync(model, version, EncodedInferRequest.Encode(request, options), cancellationToken);

    /// <summary>Sends a pre-encoded request (see <see cref="EncodedInferRequest.Encode"/>) and decodes the response.</summary>
    /// <param name="model">The model's name.</param>
    /// <param name="version">The version; null for the server's default.</param>
    /// <param name="request">The encoded body; it can be sent again and concurrently.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="V2ClientException">The server answered with an error, or with a body that is not a V2 response.</exception>
    public async Task<InferResponse> InferAsync(string model, string? version, EncodedInferRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_root + ModelPath(model, version, "/infer")));
        message.Content = request.CreateContent();
        request.ApplyHeaders(message);
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        try
        {
            return V2BodyDecoder.DecodeResponse(body, HeaderLength(response));
        }
        catch (FormatException ex)
        {
            throw new V2ClientException(response.StatusCode, $"the server's infer response is not a valid V2 response: {ex.Message}", ex);
        }
    }

    private static string ModelPath(string model, string? version, string suffix)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        var path = "/v2/models/" + Uri.EscapeDataString(model);
        if (!string.IsNullOrEmpty(version))
        {
            path += "/versions/" + Uri.EscapeDataString(version);
        }

        return path + suffix;
    }

    private static int? HeaderLength(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues(EncodedInferRequest.HeaderContentLengthName, out var values)
            && !response.Content.Headers.TryGetValues(EncodedInferRequest.HeaderContentLengthName, out values))
        {
            return null;
        }

        var text = values.FirstOrDefault();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : throw new V2ClientException(response.StatusCode, $"the server sent {EncodedInferRequest.HeaderContentLengthName}: '{text}', which is not a length");
    }

    private async Task<bool> IsOkAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(_root + path), cancellationToken);
        return response.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>
    /// GETs a JSON document. Missing required fields and nulls in non-nullable ones fail deserialisation (see
    /// <see cref="V2JsonContext"/>); <paramref name="problem"/> names what else is wrong (a null list element), or null.
    /// </summary>
    private async Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> type, Func<T, string?> problem, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(_root + path), cancellationToken);
        await EnsureSuccessAsync(response, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        T? value;
        try
        {
            value = JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException ex)
        {
            throw new V2ClientException(response.StatusCode, $"GET {path} answered a body that is not the expected JSON: {ex.Message}", ex);
        }

        if (value is null)
        {
            throw new V2ClientException(response.StatusCode, $"GET {path} answered null");
        }

        return problem(value) is { } what
            ? throw new V2ClientException(response.StatusCode, $"GET {path} answered a body that is not the expected JSON: {what}")
            : value;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        throw new V2ClientException(response.StatusCode, ErrorMessage(response, body));
    }

    /// <summary>
    /// The server's <c>{"error": "..."}</c> message; else the status and the request (a proxy's page or an unknown
    /// URL tells nothing by itself), then the body's text if any.
    /// </summary>
    internal static string ErrorMessage(HttpResponseMessage response, byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error)
                && error.ValueKind == JsonValueKind.String)
            {
                return error.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, plain text): fall through to the text.
        }

        var status = $"{(int)response.StatusCode} {response.ReasonPhrase ?? response.StatusCode.ToString()} from {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}";
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 1000)).Trim();
        return text.Length > 0 ? $"{status}: {text}" : status;
    }
}
