using Dflare.Core.Resources;
using Dflare.Server.Api.Problems;

namespace Dflare.Tests.Server.Api;

/// <summary>Clients match on problem and field codes: once released, a code never changes or disappears.</summary>
public sealed class ProblemCodesTests
{
    [Fact]
    public void ProblemCodes_AreFrozen()
    {
        string[] released =
        [
            "malformed-json", "unknown-field", "validation-failed", "unsupported-media-type", "payload-too-large",
            "invalid-query", "page-size-too-large", "invalid-cursor", "not-found", "route-not-found", "method-not-allowed",
            "already-exists", "has-dependents", "invalid-precondition", "precondition-failed", "invalid-idempotency-key",
            "idempotency-key-reused", "unauthenticated", "forbidden", "bad-request", "store-unavailable", "internal-error",
            "operation-finished", "operation-in-progress", "agent-unauthorized", "node-state-conflict", "rate-limited", "backend-unavailable",
            "pool-exhausted", "subnet-overlap", "fabric-unavailable", "not-ready", "volume-in-use",
        ];

        Assert.Equal(released, ProblemCodes.All);
        Assert.Equal(ProblemCodes.All.Count, ProblemCodes.All.Distinct().Count());
    }

    [Fact]
    public void FieldErrorCodes_AreFrozen()
    {
        var codes = typeof(FieldErrorCodes).GetFields().Select(f => (string)f.GetValue(null)!).Order().ToArray();

        Assert.Equal(
            ["invalid-format", "invalid-type", "invalid-value", "mismatch", "out-of-range", "required", "reserved", "too-long", "too-many", "unknown-field", "unknown-reference"],
            codes);
    }

    [Fact]
    public void EveryProblemCode_IsDocumented()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "api", "errors.md"));

        Assert.All(ProblemCodes.All, code => Assert.Contains($"`{code}`", docs, StringComparison.Ordinal));
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Dflare.slnx")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Dflare.slnx not found above the test binaries.");
    }
}
