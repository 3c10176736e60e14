using Microsoft.Extensions.Logging;

namespace Dflare.Server.Hosting;

internal static partial class ServerLog
{
    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning,
        Message = "The store schema is not current ({Reason}); the server is not ready until `dflare-server migrate` runs")]
    public static partial void SchemaNotCurrent(ILogger logger, string reason);
}
