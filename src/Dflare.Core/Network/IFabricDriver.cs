namespace Dflare.Core.Network;

/// <summary>
/// What programs a fabric. Every driver passes the same contract tests: applying an intent is idempotent, leaves no
/// difference behind, removes what the intent no longer holds, and a change made behind the driver's back shows up
/// in <see cref="DiffAsync"/> until the next apply repairs it.
/// </summary>
public interface IFabricDriver
{
    /// <summary>Converges the fabric to <paramref name="intent"/>: creates, fixes and removes what the driver owns.</summary>
    Task ApplyAsync(FabricIntent intent, CancellationToken cancellationToken);

    /// <summary>How the fabric differs from <paramref name="intent"/>; empty when it matches.</summary>
    Task<IReadOnlyList<FabricDrift>> DiffAsync(FabricIntent intent, CancellationToken cancellationToken);
}

/// <summary>A fabric could not be read or programmed.</summary>
public sealed class FabricDriverException(string message, bool transient, Exception? inner = null) : DflareException(message, transient, inner);
