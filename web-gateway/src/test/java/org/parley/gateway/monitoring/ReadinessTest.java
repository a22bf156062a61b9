package org.parley.gateway.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.gateway.monitoring.MonitoringTest.get;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.TestPostgres;

/**
 * {@code /health/ready} turns unready when the database is gone (a real PostgreSQL whose database is dropped under
 * the running server), says which check failed, and answers within its bound; {@code /health/live} stays up.
 */
class ReadinessTest {

    private static ServerSettings.StorageSettings database;

    /** The database is made when the server starts: without PostgreSQL the class is skipped (CI requires it). */
    @RegisterExtension
    static final TestGateway onPostgres = TestGateway.withSettings(s -> {
        database = TestPostgres.newDatabase();
        return s.withStorage(database);
    });

    @Test
    void readyIs503WithTheReasonWhenTheDatabaseIsGone() throws Exception {
        HttpResponse<String> before = get(onPostgres, "/health/ready", null);
        assertEquals(200, before.statusCode(), before.body());
        TestPostgres.get().dropDatabase(database);
        long started = System.nanoTime();
        HttpResponse<String> ready = get(onPostgres, "/health/ready", null);
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertEquals(503, ready.statusCode(), ready.body());
        assertTrue(ready.body().startsWith("{\"status\":\"unready\",\"checks\":{\"c2s\":\"ok\",\"storage\":\"the database"),
                ready.body());
        assertTrue(millis < HealthEndpoint.TIMEOUT.toMillis() + 3000, "answered in " + millis + " ms");
        assertEquals(200, get(onPostgres, "/health/live", null).statusCode(), "still live");
    }
}
