using System.Text.Json;
using System.Text.Json.Nodes;
using AiServe.Core.Inference;

namespace AiServe.Core.Pipelines;

/// <summary>
/// Turns client records into a model's input tensors and its output tensors into one friendly answer per record,
/// as the version's pipeline.json says. A pipeline is immutable after load and safe to call from many threads.
/// Every client mistake is an <see cref="InferenceException"/> with <see cref="InferenceErrorCode.InvalidArgument"/>
/// whose message names the record, the field and the problem.
/// </summary>
public interface IPipeline
{
    /// <summary>"tabular", "image", "text" or "recommender".</summary>
    string Kind { get; }

    /// <summary>
    /// What the answers of <see cref="Postprocess"/> hold, by the postprocess section's type: known at load, so that a
    /// request for an answer the pipeline never gives (TF Serving's classify to a regression model) is refused before
    /// the model runs.
    /// </summary>
    PipelineAnswers Answers { get; }

    /// <summary>The model outputs <see cref="Postprocess"/> reads; request these from the model.</summary>
    IReadOnlyList<string> OutputNames { get; }

    /// <summary>
    /// Makes the model's input tensors for a batch of records (tabular: an object of fields; image:
    /// <c>{"image_b64": ...}</c> or <c>{"b64": ...}</c>; text: <c>{"text": ...}</c> or a bare string; recommender:
    /// <c>{"user", "item"}</c> pairs or <c>{"user", "k", "exclude_rated"}</c> top-k requests). The tensors'
    /// first dimension may differ from the record count (a top-k record scores every item) and may be 0 (a
    /// cold-start answer needs no model): when every tensor has 0 rows, skip the model and pass no outputs.
    /// </summary>
    /// <exception cref="InferenceException">A record is invalid (InvalidArgument, naming the field).</exception>
    IReadOnlyList<Tensor> Preprocess(IReadOnlyList<JsonElement> records);

    /// <summary>Image pipelines: makes the input tensor from raw encoded images (PNG, JPEG, ...). Others throw Unsupported.</summary>
    /// <exception cref="InferenceException">An image is too large or cannot be decoded, or this is not an image pipeline (InvalidArgument).</exception>
    IReadOnlyList<Tensor> PreprocessImages(IReadOnlyList<ReadOnlyMemory<byte>> images);

    /// <summary>
    /// Makes one answer per record from the model's outputs (those named by <see cref="OutputNames"/>) for the
    /// tensors <see cref="Preprocess"/> made from the same <paramref name="records"/>. Image pipelines read no
    /// records (pass an empty list after <see cref="PreprocessImages"/>); the answer count then follows the outputs.
    /// </summary>
    /// <exception cref="InferenceException">An output is missing or has an unexpected shape (Internal).</exception>
    IReadOnlyList<JsonObject> Postprocess(IReadOnlyList<Tensor> outputs, IReadOnlyList<JsonElement> records);

    /// <summary>A JSON Schema (draft 2020-12) of one record, built from the pipeline (for OpenAPI documents).</summary>
    JsonObject RecordSchema();

    /// <summary>A valid example record.</summary>
    JsonNode ExampleRecord();
}
