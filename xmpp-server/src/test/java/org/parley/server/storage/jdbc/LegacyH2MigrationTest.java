package org.parley.server.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.sasl.ScramCredential;
import org.parley.server.sasl.ScramHash;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.PubSubStore;
import org.parley.server.storage.RoomStore;
import org.parley.server.storage.RosterEntry;
import org.parley.server.storage.Storage;

/**
 * Upgrading keeps everything: a data directory whose embedded database is the H2 file of earlier versions
 * ({@code db/parley.mv.db}, written here through the storage code with the settings the embedded H2 had) is
 * opened with the new default, the embedded SQLite, which copies it over at start and sets the H2 file aside.
 */
class LegacyH2MigrationTest {

    @TempDir
    Path dataDirectory;

    @Test
    void anExistingH2DataDirectoryIsMigratedWithAllItsData() {
        Instant t0 = Instant.parse("2025-06-01T12:00:00.123456Z");
        Map<ScramHash, ScramCredential> credentials = Map.of(ScramHash.SHA_256,
                new ScramCredential(ScramHash.SHA_256, new byte[] {0, 1, 2}, 4096, new byte[32], new byte[32]));
        RosterEntry bob = new RosterEntry("bob@example.org", "Bob", "both", false, false, false,
                List.of("Friends", "Work"));
        RoomStore.StoredRoom room = new RoomStore.StoredRoom("lounge@conference.example.org",
                Map.of("persistentroom", "1", "roomname", "Lounge"), "Welcome", "alice",
                Map.of("alice@example.org", "owner"));
        PubSubStore.StoredNode node = new PubSubStore.StoredNode("alice@example.org", "urn:xmpp:avatar:metadata",
                Map.of("access_model", "presence"), Map.of("alice@example.org", "owner"), Set.of("bob@example.org"));
        try (Storage old = JdbcStorage.open(JdbcStorageH2Test.h2(dataDirectory), dataDirectory)) {
            assertTrue(old.accounts().create("alice", credentials));
            assertTrue(old.accounts().create("bob", Map.of()));
            old.rosters().put("alice", new RosterEntry("carol@example.org", null, "none", false, false, false, List.of()));
            old.rosters().put("alice", bob);
            old.offline().store("bob", "<message id='offline-1'/>", 10);
            old.offline().store("bob", "<message id='offline-2'/>", 10);
            old.documents().put("alice", "vcard-temp", "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>");
            old.rooms().save(room);
            old.pubsub().saveNode(node);
            old.pubsub().publish(node.service(), node.node(), new PubSubStore.StoredItem("a1", "alice@example.org",
                    "<metadata/>"), 5);
            for (int i = 0; i < 30; i++) {
                old.archive().append("alice@example.org", new ArchiveStore.Entry("m" + i,
                        i % 2 == 0 ? "bob@example.org/phone" : "carol@example.org", t0.plusSeconds(i), "<m n='" + i + "'/>"));
            }
        }
        Path legacy = dataDirectory.resolve("db").resolve("parley.mv.db");
        assertTrue(Files.isRegularFile(legacy), "the old embedded file is where the old version kept it");

        try (Storage storage = JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory)) {
            assertFalse(Files.exists(legacy), "the H2 file is set aside");
            assertTrue(Files.isRegularFile(legacy.resolveSibling("parley.mv.db.migrated")));
            assertTrue(Files.isRegularFile(legacy.resolveSibling("parley.db")));

            assertEquals(Optional.of(credentials), storage.accounts().credentials("alice"));
            assertEquals(List.of("alice", "bob"), storage.accounts().list());
            assertEquals(List.of("carol@example.org", "bob@example.org").stream().sorted().toList(),
                    storage.rosters().roster("alice").stream().map(RosterEntry::contact).sorted().toList());
            assertEquals(Optional.of(bob), storage.rosters().entry("alice", "bob@example.org"));
            assertEquals(2, storage.rosters().version("alice"));
            assertEquals(3, storage.rosters().put("alice", new RosterEntry("dave@example.org", null, "none", false,
                    false, false, List.of())), "roster versions continue");
            assertEquals(Optional.of("<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>"),
                    storage.documents().get("alice", "vcard-temp"));
            assertEquals(List.of(room), storage.rooms().loadAll());
            assertEquals(Optional.of(node), storage.pubsub().node(node.service(), node.node()));
            assertEquals(List.of(new PubSubStore.StoredItem("a1", "alice@example.org", "<metadata/>")),
                    storage.pubsub().items(node.service(), node.node(), 5));

            ArchiveStore.Page all = storage.archive().page(new ArchiveStore.Filter("alice@example.org", null, null,
                    null), new ArchiveStore.Paging(null, null, false, 100));
            assertEquals(30, all.count());
            assertEquals(30, all.entries().size());
            for (int i = 0; i < 30; i++) {
                ArchiveStore.Entry e = all.entries().get(i);
                assertEquals("m" + i, e.id(), "archive order kept");
                assertEquals(t0.plusSeconds(i), e.sent(), "time kept to the microsecond");
                assertEquals("<m n='" + i + "'/>", e.stanza());
            }
            assertEquals(15, storage.archive().page(new ArchiveStore.Filter("alice@example.org", "bob@example.org",
                    null, null), new ArchiveStore.Paging(null, null, false, 100)).count(), "conversation counters kept");
            assertEquals(10, storage.archive().page(new ArchiveStore.Filter("alice@example.org", null,
                    t0.plusSeconds(10), t0.plusSeconds(19)), new ArchiveStore.Paging(null, null, false, 100)).count(),
                    "time filter on migrated times");
            storage.archive().append("alice@example.org", new ArchiveStore.Entry("new", "bob@example.org",
                    Instant.now(), "<m/>"));
            ArchiveStore.Page newest = storage.archive().page(new ArchiveStore.Filter("alice@example.org", null, null,
                    null), new ArchiveStore.Paging(null, null, true, 1));
            assertEquals("new", newest.entries().get(0).id(), "new messages come after the migrated ones");
            assertEquals(31, newest.count());

            assertEquals(List.of("<message id='offline-1'/>", "<message id='offline-2'/>"), storage.offline().drain("bob"));
        }

        try (Storage again = JdbcStorage.open(JdbcStorageSqliteTest.EMBEDDED, dataDirectory)) {
            assertEquals(31, again.archive().page(new ArchiveStore.Filter("alice@example.org", null, null, null),
                    new ArchiveStore.Paging(null, null, true, 1)).count(), "migrated once, not again");
        }
    }
}
