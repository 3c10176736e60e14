using System.Data.Common;
using System.Text;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dflare.Core.Workflows;

/// <summary>
/// Writes one transition as one command: the fenced run UPDATE (which also returns whether a cancel arrived), then
/// the changed steps and the new events, each guarded by the same fence. It is the engine's hot path, so it skips EF Core's change
/// tracker, but still takes every table name, column name and value conversion from the EF model, so the SQL stays
/// right on both providers as the model evolves.
/// </summary>
internal static class RunWriter
{
    private static readonly string[] RunColumns =
    [
        nameof(WorkflowRunRow.State), nameof(WorkflowRunRow.CurrentStep), nameof(WorkflowRunRow.LeaseOwner),
        nameof(WorkflowRunRow.LeaseExpiresAt), nameof(WorkflowRunRow.LastError), nameof(WorkflowRunRow.NextEventSequence),
        nameof(WorkflowRunRow.UpdatedAt), nameof(WorkflowRunRow.FinishedAt), nameof(WorkflowRunRow.ActiveKey),
    ];

    private static readonly string[] StepColumns =
    [
        nameof(WorkflowStepRow.State), nameof(WorkflowStepRow.Attempts), nameof(WorkflowStepRow.Output),
        nameof(WorkflowStepRow.LastError), nameof(WorkflowStepRow.WaitingFor), nameof(WorkflowStepRow.StartedAt),
        nameof(WorkflowStepRow.FinishedAt), nameof(WorkflowStepRow.CompensatedAt), nameof(WorkflowStepRow.CompensationAttempts),
    ];

    private static readonly string[] EventColumns =
    [
        nameof(WorkflowEventRow.RunId), nameof(WorkflowEventRow.Sequence), nameof(WorkflowEventRow.Type), nameof(WorkflowEventRow.Step),
        nameof(WorkflowEventRow.Attempt), nameof(WorkflowEventRow.FencingToken), nameof(WorkflowEventRow.Message), nameof(WorkflowEventRow.At),
    ];

    /// <summary>Commits the transition if the claim still holds and returns whether a cancel has been requested;
    /// throws <see cref="LeaseLostException"/>, having written nothing, if the lease was taken over.</summary>
    public static async Task<bool> WriteAsync(
        DflareDbContext db, RunClaim claim, string workerId, WorkflowRunRow run, IReadOnlyList<WorkflowStepRow> changedSteps,
        IReadOnlyList<WorkflowEventRow> events, CancellationToken cancellationToken)
    {
        // PostgreSQL runs a multi-statement command in one implicit transaction: one round trip per transition. SQLite
        // runs each statement on its own, so it needs an explicit transaction (in-process, it costs no round trip).
        var postgres = db.Database.ProviderName?.Contains("Npgsql", StringComparison.Ordinal) == true;
        await using var transaction = postgres ? null : await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = transaction?.GetDbTransaction();
        command.CommandText = Sql(db.Model, command, claim, workerId, run, changedSteps, events);

        bool? cancelRequested = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                cancelRequested = reader.GetBoolean(0);
            }
            // Drive every statement: SQLite executes them as the reader advances.
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }
        if (cancelRequested is null)
        {
            // The fenced run UPDATE matched nothing, and every other statement is guarded by the same fence.
            throw new LeaseLostException(claim.RunId, claim.FencingToken);
        }
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        run.CancelRequested = cancelRequested.Value;
        return cancelRequested.Value;
    }

    private static string Sql(
        IModel model, DbCommand command, RunClaim claim, string workerId, WorkflowRunRow run,
        IReadOnlyList<WorkflowStepRow> changedSteps, IReadOnlyList<WorkflowEventRow> events)
    {
        var runs = model.FindEntityType(typeof(WorkflowRunRow))!;
        var steps = model.FindEntityType(typeof(WorkflowStepRow))!;
        var eventType = model.FindEntityType(typeof(WorkflowEventRow))!;
        var id = Parameter(command, runs, nameof(WorkflowRunRow.Id), run.Id);
        var token = Parameter(command, runs, nameof(WorkflowRunRow.FencingToken), claim.FencingToken);
        // The run UPDATE comes first and, when it matches, locks the row until the end of the transaction, so the
        // guards below see the same token it saw; when it matches nothing because the lease was taken over, the token
        // differs and the guards match nothing either. (A claim's own writes end when it gives the run back, so the
        // token never matches while the owner does not.)
        var fence = $"EXISTS (SELECT 1 FROM {runs.GetTableName()} WHERE {Column(runs, nameof(WorkflowRunRow.Id))} = {id} AND {Column(runs, nameof(WorkflowRunRow.FencingToken))} = {token})";

        var sql = new StringBuilder($"UPDATE {runs.GetTableName()} SET ");
        sql.AppendJoin(", ", RunColumns.Select(c => $"{Column(runs, c)} = {Parameter(command, runs, c, Value(run, c))}"));
        // A cancel sets due_at to now; a worker giving the run back must not push that later.
        var dueAt = Column(runs, nameof(WorkflowRunRow.DueAt));
        var cancel = Column(runs, nameof(WorkflowRunRow.CancelRequested));
        sql.Append($", {dueAt} = CASE WHEN {cancel} THEN {dueAt} ELSE {Parameter(command, runs, nameof(WorkflowRunRow.DueAt), run.DueAt)} END");
        sql.Append($" WHERE {Column(runs, nameof(WorkflowRunRow.Id))} = {id} AND {Column(runs, nameof(WorkflowRunRow.FencingToken))} = {token}");
        sql.Append($" AND {Column(runs, nameof(WorkflowRunRow.LeaseOwner))} = {Parameter(command, runs, nameof(WorkflowRunRow.LeaseOwner), workerId)}");
        sql.Append($" RETURNING {cancel};");
        foreach (var step in changedSteps)
        {
            sql.Append($"UPDATE {steps.GetTableName()} SET ");
            sql.AppendJoin(", ", StepColumns.Select(c => $"{Column(steps, c)} = {Parameter(command, steps, c, Value(step, c))}"));
            sql.Append($" WHERE {Column(steps, nameof(WorkflowStepRow.RunId))} = {id}");
            sql.Append($" AND {Column(steps, nameof(WorkflowStepRow.Index))} = {Parameter(command, steps, nameof(WorkflowStepRow.Index), step.Index)} AND {fence};");
        }
        foreach (var e in events)
        {
            sql.Append($"INSERT INTO {eventType.GetTableName()} (");
            sql.AppendJoin(", ", EventColumns.Select(c => Column(eventType, c)));
            sql.Append(") SELECT ");
            sql.AppendJoin(", ", EventColumns.Select(c => Parameter(command, eventType, c, Value(e, c))));
            sql.Append($" WHERE {fence};");
        }
        return sql.ToString();
    }

    private static string Column(IEntityType entity, string property) =>
        $"\"{entity.FindProperty(property)!.GetColumnName()}\"";

    /// <summary>Adds a parameter converted exactly as EF Core would store the property (enums as names, instants as
    /// UTC ticks on SQLite) and returns its placeholder.</summary>
    private static string Parameter(DbCommand command, IEntityType entity, string property, object? value)
    {
        var name = $"@p{command.Parameters.Count}";
        var mapping = (RelationalTypeMapping)entity.FindProperty(property)!.GetRelationalTypeMapping();
        command.Parameters.Add(mapping.CreateParameter(command, name, value, nullable: true));
        return name;
    }

    private static object? Value(object row, string property) => row.GetType().GetProperty(property)!.GetValue(row);
}
