namespace Dflare.Server.Api.Problems;

/// <summary>
/// The stable, machine-readable <c>code</c> of every problem document the API answers. A code never changes meaning
/// once released (a test freezes the list); docs/api/errors.md says what each one means and what to do.
/// </summary>
public static class ProblemCodes
{
    public const string MalformedJson = "malformed-json";
    public const string UnknownField = "unknown-field";
    public const string ValidationFailed = "validation-failed";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string PayloadTooLarge = "payload-too-large";
    public const string InvalidQuery = "invalid-query";
    public const string PageSizeTooLarge = "page-size-too-large";
    public const string InvalidCursor = "invalid-cursor";
    public const string NotFound = "not-found";
    public const string RouteNotFound = "route-not-found";
    public const string MethodNotAllowed = "method-not-allowed";
    public const string AlreadyExists = "already-exists";
    public const string HasDependents = "has-dependents";
    public const string OperationFinished = "operation-finished";
    public const string OperationInProgress = "operation-in-progress";
    public const string InvalidPrecondition = "invalid-precondition";
    public const string PreconditionFailed = "precondition-failed";
    public const string InvalidIdempotencyKey = "invalid-idempotency-key";
    public const string IdempotencyKeyReused = "idempotency-key-reused";
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string BadRequest = "bad-request";
    public const string StoreUnavailable = "store-unavailable";
    public const string InternalError = "internal-error";
    public const string AgentUnauthorized = "agent-unauthorized";
    public const string NodeStateConflict = "node-state-conflict";
    public const string RateLimited = "rate-limited";
    public const string BackendUnavailable = "backend-unavailable";
    public const string PoolExhausted = "pool-exhausted";
    public const string SubnetOverlap = "subnet-overlap";
    public const string FabricUnavailable = "fabric-unavailable";
    public const string NotReady = "not-ready";
    public const string VolumeInUse = "volume-in-use";

    /// <summary>Every code, for the frozen-list test and the docs.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        MalformedJson, UnknownField, ValidationFailed, UnsupportedMediaType, PayloadTooLarge, InvalidQuery,
        PageSizeTooLarge, InvalidCursor, NotFound, RouteNotFound, MethodNotAllowed, AlreadyExists, HasDependents,
        InvalidPrecondition, PreconditionFailed, InvalidIdempotencyKey, IdempotencyKeyReused, Unauthenticated,
        Forbidden, BadRequest, StoreUnavailable, InternalError, OperationFinished, OperationInProgress,
        AgentUnauthorized, NodeStateConflict, RateLimited, BackendUnavailable, PoolExhausted, SubnetOverlap, FabricUnavailable, NotReady, VolumeInUse,
    ];

    /// <summary>The problem <c>type</c> URI for a code (RFC 9457 §3.1.1).</summary>
    public static string TypeUri(string code) => $"urn:dflare:problem:{code}";
}
