namespace AiServe.Core.Repository;

/// <summary>A model.json that cannot be parsed or is invalid. The message names the field and the problem.</summary>
public sealed class ModelConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelConfigException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ModelConfigException()
        : base("invalid model.json")
    {
    }
}
