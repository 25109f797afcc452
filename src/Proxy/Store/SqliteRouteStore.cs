using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Proxy.Configuration;

namespace Proxy.Store;

/// <summary>The embedded route store: one SQLite file, created on first use, written in transactions with a
/// write-ahead log and full sync, so a crash never leaves a partial change.</summary>
internal sealed class SqliteRouteStore : IRouteStore, IDisposable
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _schema = new(1, 1);
    private bool _created;

    public SqliteRouteStore(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString();
    }

    public string Path { get; }

    public void Dispose() => _schema.Dispose();

    public async Task<IReadOnlyList<StoredRoute>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT json, version FROM routes ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var routes = new List<StoredRoute>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var route = JsonSerializer.Deserialize<RouteConfig>(reader.GetString(0), RouteJson.Options)
                ?? throw new InvalidDataException("A stored route is null.");
            routes.Add(new StoredRoute(route, reader.GetInt64(1)));
        }

        return routes;
    }

    public async Task SaveAsync(RouteChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            if (change.After is { } after)
            {
                command.CommandText = "INSERT INTO routes (id, json, version, updated) VALUES ($id, $json, $version, $updated) " +
                    "ON CONFLICT(id) DO UPDATE SET json = excluded.json, version = excluded.version, updated = excluded.updated";
                command.Parameters.AddWithValue("$json", JsonSerializer.Serialize(after.Route, RouteJson.Options));
                command.Parameters.AddWithValue("$version", after.Version);
                command.Parameters.AddWithValue("$updated", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            }
            else
            {
                command.CommandText = "DELETE FROM routes WHERE id = $id";
            }

            command.Parameters.AddWithValue("$id", change.RouteId);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var audit = connection.CreateCommand())
        {
            audit.Transaction = transaction;
            audit.CommandText = "INSERT INTO audit (time, key_id, action, route_id, before, after) VALUES ($time, $key, $action, $id, $before, $after)";
            audit.Parameters.AddWithValue("$time", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            audit.Parameters.AddWithValue("$key", change.KeyId);
            audit.Parameters.AddWithValue("$action", change.Action);
            audit.Parameters.AddWithValue("$id", change.RouteId);
            audit.Parameters.AddWithValue("$before", Json(change.Before));
            audit.Parameters.AddWithValue("$after", Json(change.After));
            await audit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditRecord>> ReadAuditAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, time, key_id, action, route_id, before, after FROM audit ORDER BY seq DESC LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<AuditRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(new AuditRecord(
                reader.GetInt64(0),
                DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6)));
        }

        return records;
    }

    private static object Json(StoredRoute? route)
        => route is null ? DBNull.Value : JsonSerializer.Serialize(route.Route, RouteJson.Options);

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var pragma = connection.CreateCommand())
        {
            // WAL plus full sync: a committed change survives a crash, an uncommitted one leaves no trace.
            pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!_created)
        {
            await CreateSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        return connection;
    }

    private async Task CreateSchemaAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await _schema.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_created)
            {
                return;
            }

            await using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE IF NOT EXISTS routes (
                    id TEXT PRIMARY KEY COLLATE NOCASE,
                    json TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    updated TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS audit (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    time TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    action TEXT NOT NULL,
                    route_id TEXT NOT NULL,
                    before TEXT,
                    after TEXT);
                CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _created = true;
        }
        finally
        {
            _schema.Release();
        }
    }
}
