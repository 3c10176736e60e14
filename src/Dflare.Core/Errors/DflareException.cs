namespace Dflare;

/// <summary>
/// The root of Dflare's exceptions, which are for the unexpected; expected outcomes are values. Says whether trying
/// again may succeed, as Npgsql's <c>PostgresException.IsTransient</c> does.
/// </summary>
public class DflareException : Exception
{
    public DflareException(string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException) => IsTransient = isTransient;

    public DflareException() : this("A Dflare operation failed.", isTransient: false)
    {
    }

    public DflareException(string message) : this(message, isTransient: false)
    {
    }

    public DflareException(string message, Exception innerException) : this(message, isTransient: false, innerException)
    {
    }

    public bool IsTransient { get; }
}
