namespace AiServe.Server.Tests;

/// <summary>The datatypes repository's "add" model (sum = a + b; version 2 adds 1 more), as the repository tests call it.</summary>
internal static class AddModel
{
    /// <summary>One row, a = [1, 2, 3, 4] and b = [10, 20, 30, 40]: version 1's sum starts with 11, version 2's with 12.</summary>
    public const string Request = """
        {"inputs": [{"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]},
                    {"name": "b", "shape": [1, 4], "datatype": "FP32", "data": [10, 20, 30, 40]}]}
        """;
}
