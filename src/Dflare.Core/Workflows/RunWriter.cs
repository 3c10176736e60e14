using System.Data.Common;
using System.Text;
using Dflare.Persistence.Store;
using Dflare.Persistence.Workflows;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dflare.Core.Workflows;

/// <summary>
/// Writes one transition in two statements: the fenced run UPDATE (which also returns whether a cancel arrived), then
/// the changed steps and the new events in one command. It is the engine's hot path, so it skips EF Core's change
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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        var dbTransaction = transaction.GetDbTransaction();

        var runs = db.Model.FindEntityType(typeof(WorkflowRunRow))!;
        await using (var update = Command(connection, dbTransaction))
        {
            var sql = new StringBuilder($"UPDATE {runs.GetTableName()} SET ");
            sql.AppendJoin(", ", RunColumns.Select(c => $"{Column(runs, c)} = {Parameter(update, runs, c, Value(run, c))}"));
            // A cancel sets due_at to now; a worker giving the run back must not push that later.
            var dueAt = Column(runs, nameof(WorkflowRunRow.DueAt));
            var cancel = Column(runs, nameof(WorkflowRunRow.CancelRequested));
            sql.Append($", {dueAt} = CASE WHEN {cancel} THEN {dueAt} ELSE {Parameter(update, runs, nameof(WorkflowRunRow.DueAt), run.DueAt)} END");
            sql.Append($" WHERE {Column(runs, nameof(WorkflowRunRow.Id))} = {Parameter(update, runs, nameof(WorkflowRunRow.Id), run.Id)}");
            sql.Append($" AND {Column(runs, nameof(WorkflowRunRow.FencingToken))} = {Parameter(update, runs, nameof(WorkflowRunRow.FencingToken), claim.FencingToken)}");
            sql.Append($" AND {Column(runs, nameof(WorkflowRunRow.LeaseOwner))} = {Parameter(update, runs, nameof(WorkflowRunRow.LeaseOwner), workerId)}");
            sql.Append($" RETURNING {cancel}");
            update.CommandText = sql.ToString();
            var cancelRequested = await update.ExecuteScalarAsync(cancellationToken);
            if (cancelRequested is null or DBNull)
            {
                throw new LeaseLostException(claim.RunId, claim.FencingToken);
            }
            run.CancelRequested = Convert.ToBoolean(cancelRequested, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (changedSteps.Count > 0 || events.Count > 0)
        {
            var steps = db.Model.FindEntityType(typeof(WorkflowStepRow))!;
            var eventType = db.Model.FindEntityType(typeof(WorkflowEventRow))!;
            await using var rest = Command(connection, dbTransaction);
            var sql = new StringBuilder();
            foreach (var step in changedSteps)
            {
                sql.Append($"UPDATE {steps.GetTableName()} SET ");
                sql.AppendJoin(", ", StepColumns.Select(c => $"{Column(steps, c)} = {Parameter(rest, steps, c, Value(step, c))}"));
                sql.Append($" WHERE {Column(steps, nameof(WorkflowStepRow.RunId))} = {Parameter(rest, steps, nameof(WorkflowStepRow.RunId), step.RunId)}");
                sql.Append($" AND {Column(steps, nameof(WorkflowStepRow.Index))} = {Parameter(rest, steps, nameof(WorkflowStepRow.Index), step.Index)};");
            }
            foreach (var e in events)
            {
                sql.Append($"INSERT INTO {eventType.GetTableName()} (");
                sql.AppendJoin(", ", EventColumns.Select(c => Column(eventType, c)));
                sql.Append(") VALUES (");
                sql.AppendJoin(", ", EventColumns.Select(c => Parameter(rest, eventType, c, Value(e, c))));
                sql.Append(");");
            }
            rest.CommandText = sql.ToString();
            await rest.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return run.CancelRequested;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction transaction)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        return command;
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
