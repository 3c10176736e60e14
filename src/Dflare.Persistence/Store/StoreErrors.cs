using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Dflare.Persistence.Store;

/// <summary>Reads a constraint violation the same way on both providers, so callers answer 409, not 500.</summary>
public static class StoreErrors
{
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintForeignKey = 787;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintUnique = 2067;
    // ON DELETE RESTRICT fires as a trigger inside SQLite and reports SQLITE_CONSTRAINT_TRIGGER.
    private const int SqliteConstraintTrigger = 1811;

    public static bool IsUniqueViolation(DbUpdateException exception) => exception.InnerException switch
    {
        SqliteException { SqliteErrorCode: SqliteConstraint } e =>
            e.SqliteExtendedErrorCode is SqliteConstraintUnique or SqliteConstraintPrimaryKey,
        PostgresException e => e.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    public static bool IsForeignKeyViolation(DbUpdateException exception) => exception.InnerException switch
    {
        SqliteException { SqliteErrorCode: SqliteConstraint } e => e.SqliteExtendedErrorCode == SqliteConstraintForeignKey
            || (e.SqliteExtendedErrorCode == SqliteConstraintTrigger && e.Message.Contains("FOREIGN KEY", StringComparison.Ordinal)),
        PostgresException e => e.SqlState == PostgresErrorCodes.ForeignKeyViolation,
        _ => false,
    };
}
