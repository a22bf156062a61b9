package org.parley.server.storage.jdbc;

import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.storage.Storage;
import org.parley.server.testing.TestPostgres;

/**
 * The storage contract on a real PostgreSQL server (a throwaway cluster, see {@link TestPostgres}), with the
 * same Flyway migrations as H2: switching backends is the {@code storage.jdbc-url} setting only. Skipped, with
 * the reason shown, where PostgreSQL is not installed.
 */
class JdbcStoragePostgresTest extends JdbcStorageContractTest {

    @TempDir
    Path dataDirectory;

    /** One fresh database per test; reopening within a test reaches the same one. */
    private StorageSettings database;

    @Override
    protected Storage openStorage() {
        if (database == null) {
            database = TestPostgres.newDatabase();
        }
        return JdbcStorage.open(database, dataDirectory);
    }

    @Override
    protected StorageSettings otherDatabase() {
        return TestPostgres.newDatabase();
    }
}
