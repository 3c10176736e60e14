using System.Net.Sockets;
using Dflare.Client.Api;

namespace Dflare.Cli.Commands;

/// <summary>Runs a command's body and turns every failure into one line on standard error and an exit code.</summary>
public static class Guarded
{
    public static async Task<int> RunAsync(CliConsole console, Func<Task<int>> body, Func<DflareApiException, string?>? locate = null)
    {
        try
        {
            return await body();
        }
        catch (CliException ex)
        {
            await console.Error.WriteLineAsync($"error: {ex.Message}");
            return ex.ExitCode;
        }
        catch (DflareApiException ex)
        {
            await console.Error.WriteLineAsync($"error: {locate?.Invoke(ex)}{Describe(ex.Problem)}");
            return ExitCodes.For(ex);
        }
        catch (TimeoutException ex)
        {
            await console.Error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.Timeout;
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : ex.Message;
            await console.Error.WriteLineAsync($"error: cannot reach the server: {reason}");
            return ExitCodes.Error;
        }
        catch (TaskCanceledException ex) when (ex.InnerException is TimeoutException)
        {
            await console.Error.WriteLineAsync("error: the server did not answer in time");
            return ExitCodes.Timeout;
        }
        catch (OperationCanceledException)
        {
            return 130; // interrupted (Ctrl+C), as shells report SIGINT
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or IOException or UnauthorizedAccessException)
        {
            // A damaged or unreadable file of ours (config, token cache), or an answer that is not what it should be.
            await console.Error.WriteLineAsync($"error: {ex.Message.ReplaceLineEndings(" ")}");
            return ExitCodes.Error;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            await console.Error.WriteLineAsync($"error: unexpected answer: {ex.Message.ReplaceLineEndings(" ")}");
            return ExitCodes.Error;
        }
    }

    /// <summary>One line: each refused field with its message, else the detail; then the stable code.</summary>
    public static string Describe(ApiProblem problem)
    {
        var what = problem.Errors.Count > 0
            ? string.Join("; ", problem.Errors.Select(e => e.Message.StartsWith(e.Field, StringComparison.Ordinal) || e.Field.Length == 0 ? e.Message : $"{e.Field}: {e.Message}"))
            : problem.Detail ?? problem.Title;
        var hint = problem.Status == 401 ? " — sign in with dflare login" : "";
        return $"{what.ReplaceLineEndings(" ")} ({problem.Code}){hint}";
    }
}
