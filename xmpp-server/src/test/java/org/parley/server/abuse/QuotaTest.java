package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Issue 17: per-account budgets for expensive operations (room creation, archive queries: resource-constraint)
 * and the modes of the data directory and the database files (row "data directory and database file: 0755 /
 * 0644").
 */
class QuotaTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(GuardTweak.of(g -> {
        g.roomsPerHour = 2;
        g.archiveQueriesPerMinute = 2;
    }), "hana", "ivan");

    @Test
    void anAccountCreatesOnlySoManyRoomsAnHour() throws Exception {
        try (RawClient hana = RawClient.loggedIn(server, "hana")) {
            for (int i = 1; i <= 2; i++) {
                hana.clear();
                hana.send("<presence to='quota" + i + "@conference.localhost/hana'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
                hana.await("status code=\"201\"", WAIT); // XEP-0045 §10.1.1: created
            }
            hana.clear();
            hana.send("<presence to='quota3@conference.localhost/hana'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            String refused = hana.await("</presence>", WAIT);
            assertTrue(refused.contains("type=\"error\"") && refused.contains("<resource-constraint"), refused);
            // Joining an existing room is not creating one.
            try (RawClient ivan = RawClient.loggedIn(server, "ivan")) {
                ivan.send("<presence to='quota1@conference.localhost/ivan'/>");
                ivan.await("ivan", WAIT);
                assertFalse(ivan.received().contains("resource-constraint"), ivan.received());
            }
        }
    }

    @Test
    void anAccountQueriesItsArchiveOnlySoOftenAMinute() throws Exception {
        try (RawClient ivan = RawClient.loggedIn(server, "ivan")) {
            for (int i = 1; i <= 2; i++) {
                ivan.clear();
                ivan.send("<iq type='set' id='q" + i + "'><query xmlns='urn:xmpp:mam:2'/></iq>");
                String answer = ivan.await("id=\"q" + i + "\"", WAIT);
                ivan.await("</iq>", WAIT);
                assertFalse(answer.contains("resource-constraint"), answer);
            }
            ivan.clear();
            ivan.send("<iq type='set' id='q3'><query xmlns='urn:xmpp:mam:2'/></iq>");
            String refused = ivan.await("</iq>", WAIT);
            assertTrue(refused.contains("<resource-constraint") && refused.contains("wait"), refused);
            Service.pingStaysFast(ivan);
        }
    }

    @Test
    void theDataDirectoryIsClosedToOtherUsers(@TempDir Path parent) throws Exception {
        Path data = parent.resolve("data");
        Files.createDirectories(data);
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (TestServer started = TestServer.start(data)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
            try (Stream<Path> files = Files.walk(data)) {
                Path key = files.filter(p -> p.toString().endsWith(".key")).findFirst().orElseThrow();
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
            }
            // The embedded SQLite database and, while it is open in WAL mode, its -wal and -shm files: 0600
            // (SQLite gives the two the database file's mode), in a 0700 directory.
            started.createUser("filemode"); // a write, so the WAL file exists
            Path db = data.resolve("db");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(db)));
            int checked = 0;
            for (String name : new String[] {"parley.db", "parley.db-wal", "parley.db-shm"}) {
                Path file = db.resolve(name);
                if (name.equals("parley.db") || Files.exists(file)) {
                    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), name);
                    checked++;
                }
            }
            assertTrue(checked >= 2, "the database file and its WAL file exist while the server runs");
            assertTrue(started.server().openStreams() >= 0);
        }
        Path fresh = parent.resolve("new-data");
        try (TestServer started = TestServer.start(fresh)) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
        }
    }
}
