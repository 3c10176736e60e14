using System.Diagnostics;

namespace Dflare.Core.Processes;

/// <summary>What a finished child process left: its exit code and both streams.</summary>
public sealed record ProcessOutcome(int ExitCode, string Output, string Error);

/// <summary>Runs a program with an argument list (never a shell), feeding optional standard input. A cancelled run kills
/// the whole process tree, so a timed-out step never leaves work running beside its retry.</summary>
public static class ChildProcess
{
    /// <exception cref="System.ComponentModel.Win32Exception">The program is not installed.</exception>
    public static async Task<ProcessOutcome> RunAsync(string command, IReadOnlyList<string> arguments, string? input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = input is not null, UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start");
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
                process.StandardInput.Close();
            }
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new ProcessOutcome(process.ExitCode, await output, await error);
    }
}
