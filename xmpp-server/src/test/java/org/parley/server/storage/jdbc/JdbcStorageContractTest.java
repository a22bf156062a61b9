package org.parley.server.storage.jdbc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.sasl.ScramCredential;
import org.parley.server.sasl.ScramHash;
import org.parley.server.storage.AccountStore;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.DocumentStore;
import org.parley.server.storage.OfflineStore;
import org.parley.server.storage.PubSubStore;
import org.parley.server.storage.RoomStore;
import org.parley.server.storage.RosterEntry;
import org.parley.server.storage.RosterStore;
import org.parley.server.storage.Storage;

/**
 * The behaviour every {@link Storage} backend must show. A backend's test extends this class and says how to
 * open its storage; {@link #openStorage()} called again after a close must reach the same database.
 */
abstract class JdbcStorageContractTest {

    private final Random random = new Random(42);

    protected Storage storage;

    @TempDir
    Path otherDataDirectory;

    /** Opens the storage under test; a second call after {@code close()} reopens the same data. */
    protected abstract Storage openStorage();

    /**
     * Another, empty database of the same backend (with a JDBC URL, user and password), for tests of the
     * step-by-step migrations in db/migration; null for the embedded SQLite, whose schema starts at V7.
     */
    protected abstract StorageSettings otherDatabase();

    @BeforeEach
    void openBeforeEach() {
        storage = openStorage();
    }

    @AfterEach
    void closeAfterEach() {
        if (storage != null) { // null when the backend is not available and the test was skipped
            storage.close();
        }
    }

    private AccountStore accounts() {
        return storage.accounts();
    }

    private RosterStore rosters() {
        return storage.rosters();
    }

    private OfflineStore offline() {
        return storage.offline();
    }

    private DocumentStore documents() {
        return storage.documents();
    }

    private Map<ScramHash, ScramCredential> credentials() {
        Map<ScramHash, ScramCredential> credentials = new LinkedHashMap<>();
        for (ScramHash hash : ScramHash.values()) {
            credentials.put(hash, new ScramCredential(hash, bytes(16), 4096 + random.nextInt(1000),
                    bytes(hash.length()), bytes(hash.length())));
        }
        return credentials;
    }

    private byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        bytes[0] = 0; // a NUL byte must survive too
        return bytes;
    }

    private static RosterEntry entry(String contact, String subscription, String... groups) {
        return new RosterEntry(contact, "Name of " + contact, subscription, false, false, false, List.of(groups));
    }

    // ---- accounts

    @Test
    void createRefusesDuplicateAndKeepsFirstCredentials() {
        Map<ScramHash, ScramCredential> first = credentials();
        assertTrue(accounts().create("alice", first));
        assertFalse(accounts().create("alice", credentials()));
        assertTrue(accounts().exists("alice"));
        assertFalse(accounts().exists("bob"));
        assertEquals(Optional.of(first), accounts().credentials("alice"));
    }

    @Test
    void credentialsRoundTripByteForByte() {
        Map<ScramHash, ScramCredential> stored = credentials();
        accounts().create("alice", stored);

        Map<ScramHash, ScramCredential> read = accounts().credentials("alice").orElseThrow();
        assertEquals(stored.keySet(), read.keySet());
        for (ScramHash hash : ScramHash.values()) {
            ScramCredential expected = stored.get(hash);
            ScramCredential actual = read.get(hash);
            assertEquals(hash, actual.hash());
            assertEquals(expected.iterations(), actual.iterations());
            assertArrayEquals(expected.salt(), actual.salt());
            assertArrayEquals(expected.storedKey(), actual.storedKey());
            assertArrayEquals(expected.serverKey(), actual.serverKey());
        }
        assertEquals(Optional.empty(), accounts().credentials("nobody"));
    }

    @Test
    void accountWithoutCredentialsHasEmptyMap() {
        assertTrue(accounts().create("alice", Map.of()));
        assertEquals(Optional.of(Map.of()), accounts().credentials("alice"));
    }

    @Test
    void updateCredentialsReplacesAllVerifiers() {
        accounts().create("alice", credentials());
        ScramCredential sha256Only = credentials().get(ScramHash.SHA_256);

        assertTrue(accounts().updateCredentials("alice", Map.of(ScramHash.SHA_256, sha256Only)));
        assertEquals(Optional.of(Map.of(ScramHash.SHA_256, sha256Only)), accounts().credentials("alice"));
        assertFalse(accounts().updateCredentials("nobody", credentials()));
        assertFalse(accounts().exists("nobody"));
    }

    @Test
    void deleteRemovesEverythingOfTheUserOnly() {
        for (String user : List.of("alice", "bob")) {
            accounts().create(user, credentials());
            rosters().put(user, entry("carol@example.org", "both", "Friends"));
            offline().store(user, "<message to='" + user + "'/>", 10);
            documents().put(user, "vcard-temp", "<vCard xmlns='vcard-temp'/>");
        }

        assertTrue(accounts().delete("alice"));

        assertFalse(accounts().exists("alice"));
        assertEquals(Optional.empty(), accounts().credentials("alice"));
        assertEquals(List.of(), rosters().roster("alice"));
        assertEquals(0, rosters().version("alice"));
        assertEquals(0, offline().count("alice"));
        assertEquals(Optional.empty(), documents().get("alice", "vcard-temp"));

        assertTrue(accounts().exists("bob"));
        assertEquals(1, rosters().roster("bob").size());
        assertEquals(1, offline().count("bob"));
        assertTrue(documents().get("bob", "vcard-temp").isPresent());

        assertFalse(accounts().delete("alice"));
        assertTrue(accounts().create("alice", credentials()), "the name is free again");
    }

    @Test
    void listIsSortedAndCountMatches() {
        for (String user : List.of("carol", "alice", "dave", "bob")) {
            accounts().create(user, credentials());
        }
        assertEquals(List.of("alice", "bob", "carol", "dave"), accounts().list());
        assertEquals(4, accounts().count());
    }

    @Test
    void createAllSkipsExistingAccounts() {
        Map<ScramHash, ScramCredential> original = credentials();
        accounts().create("alice", original);

        Map<String, Map<ScramHash, ScramCredential>> batch = new LinkedHashMap<>();
        batch.put("alice", credentials());
        batch.put("bob", credentials());
        batch.put("carol", credentials());

        assertEquals(2, accounts().createAll(batch));
        assertEquals(Optional.of(original), accounts().credentials("alice"));
        assertEquals(Optional.of(batch.get("carol")), accounts().credentials("carol"));
        assertEquals(List.of("alice", "bob", "carol"), accounts().list());
        assertEquals(0, accounts().createAll(batch));
        assertEquals(0, accounts().createAll(Map.of()));
    }

    @Test
    void createAllHandlesLargeBatches() {
        Map<ScramHash, ScramCredential> shared = credentials();
        Map<String, Map<ScramHash, ScramCredential>> batch = new LinkedHashMap<>();
        for (int i = 0; i < 1234; i++) {
            batch.put(String.format("user%05d", i), shared);
        }
        accounts().create("user00007", credentials());

        assertEquals(1233, accounts().createAll(batch));
        assertEquals(1234, accounts().count());
        assertEquals(Optional.of(shared), accounts().credentials("user01233"));
    }

    // ---- rosters

    @Test
    void rosterPutReadReplaceAndRemove() {
        RosterEntry bob = new RosterEntry("bob@example.org", null, "none", true, false, true, List.of());
        RosterEntry carol = entry("carol@example.org", "both", "Friends", "Work");

        assertEquals(1, rosters().put("alice", bob));
        assertEquals(2, rosters().put("alice", carol));
        assertEquals(List.of(bob, carol), rosters().roster("alice"));
        assertEquals(Optional.of(bob), rosters().entry("alice", "bob@example.org"));

        RosterEntry bobNow = new RosterEntry("bob@example.org", "Bobby", "to", false, true, false, List.of("Pals"));
        assertEquals(3, rosters().put("alice", bobNow));
        assertEquals(Optional.of(bobNow), rosters().entry("alice", "bob@example.org"));
        assertEquals(2, rosters().roster("alice").size());

        assertEquals(Optional.of(4L), rosters().remove("alice", "bob@example.org"));
        assertEquals(Optional.empty(), rosters().entry("alice", "bob@example.org"));
        assertEquals(List.of(carol), rosters().roster("alice"));
        assertEquals(List.of(), rosters().roster("bob"), "rosters are per user");
    }

    @Test
    void versionCountsEveryChangeOnly() {
        assertEquals(0, rosters().version("alice"));
        rosters().put("alice", entry("bob@example.org", "none"));
        rosters().put("alice", entry("bob@example.org", "to"));
        assertEquals(2, rosters().version("alice"));

        assertEquals(Optional.empty(), rosters().remove("alice", "nobody@example.org"));
        assertEquals(2, rosters().version("alice"), "removing nothing is no change");
        assertEquals(Optional.of(3L), rosters().remove("alice", "bob@example.org"));
        assertEquals(3, rosters().version("alice"));
        assertEquals(0, rosters().version("bob"));
    }

    @Test
    void groupsRoundTripInOrder() {
        RosterEntry entry = entry("bob@example.org", "both", "Zeta", "Alpha", "Ünïcödé 群組", "Alpha");
        rosters().put("alice", entry);
        assertEquals(entry.groups(), rosters().entry("alice", "bob@example.org").orElseThrow().groups());

        rosters().put("alice", entry("bob@example.org", "both", "Only"));
        assertEquals(List.of("Only"), rosters().entry("alice", "bob@example.org").orElseThrow().groups());
    }

    @Test
    void concurrentChangesGetDistinctVersions() throws Exception {
        List<Long> versions = inParallel(25, (thread, i) ->
                rosters().put("alice", entry("c" + thread + "-" + i + "@example.org", "none")));
        assertEquals(50, new HashSet<>(versions).size(), "two changes got the same version");
        assertEquals(50, rosters().version("alice"));
        assertEquals(50, rosters().roster("alice").size());
    }

    // ---- offline messages

    @Test
    void offlineKeepsOrderAndCap() {
        assertTrue(offline().store("alice", "<message id='1'/>", 3));
        assertTrue(offline().store("alice", "<message id='2'/>", 3));
        assertTrue(offline().store("bob", "<message id='b'/>", 3));
        assertTrue(offline().store("alice", "<message id='3'/>", 3));
        assertFalse(offline().store("alice", "<message id='4'/>", 3));
        assertEquals(3, offline().count("alice"));

        assertEquals(List.of("<message id='1'/>", "<message id='2'/>", "<message id='3'/>"),
                offline().drain("alice"));
        assertEquals(0, offline().count("alice"));
        assertEquals(List.of(), offline().drain("alice"));
        assertEquals(1, offline().count("bob"));
        assertTrue(offline().store("alice", "<message id='5'/>", 3));
    }

    @Test
    void concurrentStoresRespectTheCap() throws Exception {
        accounts().create("alice", credentials());
        List<Boolean> stored = inParallel(30, (thread, i) ->
                offline().store("alice", "<message id='" + thread + i + "'/>", 40));
        assertEquals(40, stored.stream().filter(b -> b).count());
        assertEquals(40, offline().count("alice"));
    }

    @Test
    void offlineStanzasMayBeLarge() {
        String body = "x".repeat(200_000);
        String stanza = "<message><body>" + body + "</body></message>";
        assertTrue(offline().store("alice", stanza, 10));
        assertEquals(List.of(stanza), offline().drain("alice"));
    }

    @Test
    void racingDrainsNeitherDuplicateNorLose() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            int stored = 0;
            List<String> received = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 50; i++) {
                    assertTrue(offline().store("alice", "<message id='" + stored++ + "'/>", 1000));
                }
                CyclicBarrier start = new CyclicBarrier(2);
                Future<List<String>> first = pool.submit(() -> {
                    start.await();
                    return offline().drain("alice");
                });
                Future<List<String>> second = pool.submit(() -> {
                    start.await();
                    return offline().drain("alice");
                });
                for (Future<List<String>> drain : List.of(first, second)) {
                    List<String> stanzas = drain.get(30, TimeUnit.SECONDS);
                    assertEquals(sortedById(stanzas), stanzas, "each drain returns its stanzas in order");
                    received.addAll(stanzas);
                }
                assertEquals(0, offline().count("alice"));
            }
            Set<String> distinct = new HashSet<>(received);
            assertEquals(received.size(), distinct.size(), "a stanza was delivered twice");
            assertEquals(stored, distinct.size(), "a stanza was lost");
        } finally {
            pool.shutdownNow();
        }
    }

    private interface Step<T> {
        T run(int thread, int iteration);
    }

    /** Runs the step {@code iterations} times on each of two threads started together; all results. */
    private static <T> List<T> inParallel(int iterations, Step<T> step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            CyclicBarrier start = new CyclicBarrier(2);
            List<Future<List<T>>> futures = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<T> results = new ArrayList<>();
                    for (int i = 0; i < iterations; i++) {
                        results.add(step.run(thread, i));
                    }
                    return results;
                }));
            }
            List<T> results = new ArrayList<>();
            for (Future<List<T>> future : futures) {
                results.addAll(future.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> sortedById(List<String> stanzas) {
        List<String> sorted = new ArrayList<>(stanzas);
        sorted.sort((a, b) -> Integer.compare(id(a), id(b)));
        return sorted;
    }

    private static int id(String stanza) {
        return Integer.parseInt(stanza.replaceAll("\\D", ""));
    }

    // ---- documents

    @Test
    void documentsPutGetReplaceDelete() {
        assertEquals(Optional.empty(), documents().get("alice", "vcard-temp"));
        documents().put("alice", "vcard-temp", "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>");
        documents().put("alice", "storage storage:bookmarks", "<storage xmlns='storage:bookmarks'/>");
        documents().put("bob", "vcard-temp", "<vCard xmlns='vcard-temp'><FN>Bob</FN></vCard>");

        documents().put("alice", "vcard-temp", "<vCard xmlns='vcard-temp'><FN>Alice A.</FN></vCard>");
        assertEquals(Optional.of("<vCard xmlns='vcard-temp'><FN>Alice A.</FN></vCard>"),
                documents().get("alice", "vcard-temp"));
        assertEquals(Optional.of("<storage xmlns='storage:bookmarks'/>"),
                documents().get("alice", "storage storage:bookmarks"));

        assertTrue(documents().delete("alice", "vcard-temp"));
        assertFalse(documents().delete("alice", "vcard-temp"));
        assertEquals(Optional.empty(), documents().get("alice", "vcard-temp"));
        assertEquals(Optional.of("<vCard xmlns='vcard-temp'><FN>Bob</FN></vCard>"), documents().get("bob", "vcard-temp"));
    }

    // ---- rooms

    @Test
    void roomsAreSavedReplacedAndDeletedWithTheirSettingsAndAffiliations() {
        RoomStore rooms = storage.rooms();
        rooms.save(new RoomStore.StoredRoom("lobby", Map.of("roomname", "Lobby", "persistentroom", "true"), "hi",
                "alice", Map.of("alice@example.org", "owner", "troll@example.org", "outcast")));
        rooms.save(new RoomStore.StoredRoom("lobby", Map.of("roomname", "The Lobby"), null, null,
                Map.of("bob@example.org", "member")));
        rooms.save(new RoomStore.StoredRoom("other", Map.of(), null, null, Map.of()));
        List<RoomStore.StoredRoom> all = rooms.loadAll();
        assertEquals(List.of("lobby", "other"), all.stream().map(RoomStore.StoredRoom::room).toList());
        assertEquals(new RoomStore.StoredRoom("lobby", Map.of("roomname", "The Lobby"), null, null,
                Map.of("bob@example.org", "member")), all.get(0), "a save replaces settings and affiliations");
        assertTrue(rooms.delete("other"));
        assertFalse(rooms.delete("other"));
        assertEquals(1, rooms.loadAll().size());
    }

    // ---- archive

    @Test
    void archivePagesForwardAndBackwardWithCompleteFlagsCountsAndFilters() {
        ArchiveStore archive = storage.archive();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        List<ArchiveStore.Appended> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String with = i % 2 == 0 ? "bob@example.org" : "carol@example.org";
            batch.add(new ArchiveStore.Appended("alice@example.org",
                    new ArchiveStore.Entry("id" + i, with, t0.plusSeconds(i), "<message id='" + i + "'/>")));
        }
        archive.appendAll(batch);
        archive.append("dave@example.org", new ArchiveStore.Entry("id0", "bob@example.org", t0, "<message/>"));
        ArchiveStore.Filter all = new ArchiveStore.Filter("alice@example.org", null, null, null);

        ArchiveStore.Page first = archive.page(all, new ArchiveStore.Paging(null, null, false, 4));
        assertEquals(List.of("id0", "id1", "id2", "id3"), ids(first));
        assertFalse(first.complete());
        assertEquals(10, first.count());
        assertEquals(0, first.firstIndex());
        ArchiveStore.Page next = archive.page(all, new ArchiveStore.Paging("id7", null, false, 4));
        assertEquals(List.of("id8", "id9"), ids(next));
        assertTrue(next.complete());
        assertEquals(8, next.firstIndex());

        ArchiveStore.Page last = archive.page(all, new ArchiveStore.Paging(null, null, true, 3));
        assertEquals(List.of("id7", "id8", "id9"), ids(last), "the last page, oldest first");
        assertFalse(last.complete());
        ArchiveStore.Page before = archive.page(all, new ArchiveStore.Paging(null, "id2", false, 3));
        assertEquals(List.of("id0", "id1"), ids(before));
        assertTrue(before.complete());

        ArchiveStore.Page withBob = archive.page(new ArchiveStore.Filter("alice@example.org", "bob@example.org",
                t0.plusSeconds(2), t0.plusSeconds(6)), new ArchiveStore.Paging(null, null, false, 10));
        assertEquals(List.of("id2", "id4", "id6"), ids(withBob));
        assertEquals(3, withBob.count());
        assertEquals("<message id='4'/>", withBob.entries().get(1).stanza());
        assertEquals(t0.plusSeconds(4), withBob.entries().get(1).sent());

        assertThrows(ArchiveStore.UnknownIdException.class,
                () -> archive.page(all, new ArchiveStore.Paging("nope", null, false, 3)));
        assertEquals(4, archive.deleteOlderThan(t0.plusSeconds(3)), "alice's id0-id2 and dave's id0");
        assertEquals(7, archive.page(all, new ArchiveStore.Paging(null, null, false, 100)).count());
    }

    /** A room archive: occupants are full JIDs; a bare filter matches them all, a full one only itself. */
    @Test
    void archiveWithFilterMatchesFullJidsBelowABareJidAndNothingElse() {
        ArchiveStore archive = storage.archive();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        String room = "room_1%@conference.example.org";
        List<String> partners = List.of(room + "/ali ce", room + "/bob/with/slashes", room, "room_1x@conference.example.org/x",
                "room_1%@conference.example.org.evil/x", "ROOM_1%@conference.example.org/upper");
        List<ArchiveStore.Appended> batch = new ArrayList<>();
        for (int i = 0; i < partners.size(); i++) {
            batch.add(new ArchiveStore.Appended("alice@example.org",
                    new ArchiveStore.Entry("id" + i, partners.get(i), t0.plusSeconds(i), "<message/>")));
        }
        archive.appendAll(batch);
        ArchiveStore.Paging all = new ArchiveStore.Paging(null, null, false, 100);
        assertEquals(List.of("id0", "id1", "id2"),
                ids(archive.page(new ArchiveStore.Filter("alice@example.org", room, null, null), all)),
                "LIKE wildcards and case in the JID are taken literally");
        assertEquals(List.of("id1"), ids(archive.page(
                new ArchiveStore.Filter("alice@example.org", room + "/bob/with/slashes", null, null), all)));
    }

    /** The newest page (what a client asks first) with its position, and an anchored page's position. */
    @Test
    void archiveNewestPageOfALongConversationHasTheRightPosition() {
        ArchiveStore archive = storage.archive();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        List<ArchiveStore.Appended> batch = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String with = i % 3 == 0 ? "carol@example.org/phone" : "bob@example.org";
            batch.add(new ArchiveStore.Appended("alice@example.org",
                    new ArchiveStore.Entry("m" + i, with, t0.plusMillis(i), "<message>\u00e9\u4e2d\ud83d\ude00 " + i + "</message>")));
        }
        archive.appendAll(batch);
        ArchiveStore.Filter bob = new ArchiveStore.Filter("alice@example.org", "bob@example.org", null, null);
        ArchiveStore.Page newest = archive.page(bob, new ArchiveStore.Paging(null, null, true, 50));
        assertEquals(200, newest.count());
        assertEquals(150, newest.firstIndex());
        assertEquals("m299", ids(newest).get(49));
        assertEquals("<message>\u00e9\u4e2d\ud83d\ude00 299</message>", newest.entries().get(49).stanza(), "text round-trips");
        assertFalse(newest.complete());
        ArchiveStore.Page older = archive.page(bob, new ArchiveStore.Paging(null, ids(newest).get(0), false, 50));
        assertEquals(100, older.firstIndex());
        ArchiveStore.Page carol = archive.page(new ArchiveStore.Filter("alice@example.org", "carol@example.org",
                null, null), new ArchiveStore.Paging(null, null, true, 1000));
        assertEquals(100, carol.count());
        assertEquals(0, carol.firstIndex());
        assertTrue(carol.complete());
        ArchiveStore.Page none = archive.page(new ArchiveStore.Filter("alice@example.org", "nobody@example.org",
                null, null), new ArchiveStore.Paging(null, null, true, 50));
        assertEquals(List.of(), none.entries());
        assertEquals(-1, none.firstIndex());

        archive.deleteArchive("alice@example.org");
        assertEquals(0, archive.page(bob, new ArchiveStore.Paging(null, null, true, 50)).count());
    }

    // ---- archive counts (the counter rows behind <count/> without a time filter)

    private static final Instant LONG_AGO = Instant.parse("2000-01-01T00:00:00Z");

    /** The count from the counter rows (no time filter). */
    private long counted(String archive, String with) {
        return storage.archive().page(new ArchiveStore.Filter(archive, with, null, null),
                new ArchiveStore.Paging(null, null, true, 1)).count();
    }

    /** The count by COUNT(*) over the messages: a time filter that selects everything. */
    private long recounted(String archive, String with) {
        return storage.archive().page(new ArchiveStore.Filter(archive, with, LONG_AGO, null),
                new ArchiveStore.Paging(null, null, true, 1)).count();
    }

    private void assertCounts(String archive, String with, long expected) {
        assertEquals(expected, counted(archive, with), "counter of " + archive + " with " + with);
        assertEquals(expected, recounted(archive, with), "COUNT(*) of " + archive + " with " + with);
    }

    private static ArchiveStore.Appended appended(String archive, String id, String with, Instant sent) {
        return new ArchiveStore.Appended(archive, new ArchiveStore.Entry(id, with, sent, "<message/>"));
    }

    /** XEP-0424 tombstones: one entry found by id and its stanza replaced, its place and count unchanged. */
    @Test
    void archiveEntryIsFoundByIdAndReplacedInPlace() {
        ArchiveStore archive = storage.archive();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        archive.appendAll(List.of(appended("alice@example.org", "x1", "bob@example.org", t0),
                appended("alice@example.org", "x2", "bob@example.org", t0.plusSeconds(1))));
        assertTrue(archive.entry("alice@example.org", "nope").isEmpty());
        assertTrue(archive.entry("carol@example.org", "x1").isEmpty(), "ids are per archive");
        assertEquals("bob@example.org", archive.entry("alice@example.org", "x1").orElseThrow().with());
        assertTrue(archive.replace("alice@example.org", "x1", "<message><retracted/></message>"));
        assertFalse(archive.replace("alice@example.org", "nope", "<message/>"));
        ArchiveStore.Page page = archive.page(new ArchiveStore.Filter("alice@example.org", null, null, null),
                new ArchiveStore.Paging(null, null, false, 10));
        assertEquals(2, page.count());
        assertEquals("x1", page.entries().get(0).id());
        assertEquals("<message><retracted/></message>", page.entries().get(0).stanza());
        assertEquals(t0, page.entries().get(0).sent());
    }

    @Test
    void archiveCountsFollowAppendsAcrossBatchesPurgeAndDeleteArchive() {
        ArchiveStore archive = storage.archive();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        String room = "room@conference.example.org";
        for (int b = 0; b < 3; b++) { // three batches, each touching the same keys again
            List<ArchiveStore.Appended> batch = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = b * 20 + i;
                batch.add(appended("alice@example.org", "a" + n, i % 4 == 0 ? "carol@example.org/phone"
                        : "bob@example.org", t0.plusSeconds(n)));
                batch.add(appended(room, "r" + n, room + "/nick" + (i % 3), t0.plusSeconds(n)));
            }
            archive.appendAll(batch);
        }
        archive.append("alice@example.org", new ArchiveStore.Entry("single", "dave@example.org", t0.plusSeconds(60),
                "<message/>"));
        archive.append("dave@example.org", new ArchiveStore.Entry("d0", "alice@example.org", t0, "<message/>"));

        assertCounts("alice@example.org", null, 61);
        assertCounts("alice@example.org", "bob@example.org", 45);
        assertCounts("alice@example.org", "carol@example.org", 15);
        assertCounts("alice@example.org", "carol@example.org/phone", 15); // a full JID: COUNT(*) only
        assertCounts("alice@example.org", "dave@example.org", 1);
        assertCounts("alice@example.org", "nobody@example.org", 0);
        assertCounts(room, null, 60);
        assertCounts(room, room, 60);
        assertCounts(room, room + "/nick1", 21);
        assertCounts("dave@example.org", null, 1);
        assertCounts("nobody@example.org", null, 0);

        ArchiveStore.Filter timed = new ArchiveStore.Filter("alice@example.org", "bob@example.org",
                t0.plusSeconds(10), t0.plusSeconds(19));
        assertEquals(8, archive.page(timed, new ArchiveStore.Paging(null, null, true, 3)).count(),
                "a time filter is still counted exactly: 10-19 without carol's 12 and 16");
        ArchiveStore.Page newest = archive.page(new ArchiveStore.Filter("alice@example.org", "bob@example.org",
                null, null), new ArchiveStore.Paging(null, null, true, 10));
        assertEquals(35, newest.firstIndex());
        ArchiveStore.Page older = archive.page(new ArchiveStore.Filter("alice@example.org", "bob@example.org",
                null, null), new ArchiveStore.Paging(null, ids(newest).get(0), false, 10));
        assertEquals(25, older.firstIndex(), "position of a page before an anchor");

        assertEquals(1 + 20 + 20, archive.deleteOlderThan(t0.plusSeconds(20)), "alice 0-19, room 0-19, dave");
        assertCounts("alice@example.org", null, 41);
        assertCounts("alice@example.org", "bob@example.org", 30);
        assertCounts("alice@example.org", "carol@example.org", 10);
        assertCounts(room, null, 40);
        assertCounts("dave@example.org", null, 0);
        assertEquals(0, archive.deleteOlderThan(t0.plusSeconds(20)), "a second purge finds nothing");
        assertCounts("alice@example.org", null, 41);
        assertEquals(60, archive.deleteOlderThan(t0.plusSeconds(50)), "alice and room 20-49");
        assertCounts("alice@example.org", "bob@example.org", 8);
        assertCounts(room, null, 10);

        archive.deleteArchive("alice@example.org");
        assertCounts("alice@example.org", null, 0);
        assertCounts("alice@example.org", "bob@example.org", 0);
        assertCounts(room, null, 10);
        archive.appendAll(List.of(appended("alice@example.org", "again", "bob@example.org", t0.plusSeconds(99))));
        assertCounts("alice@example.org", null, 1);
        assertCounts("alice@example.org", "bob@example.org", 1);

        storage.close();
        storage = openStorage();
        assertCounts("alice@example.org", "bob@example.org", 1);
        assertCounts(room, room, 10);
    }

    /** A purge larger than the store's delete batch (10 000 rows). */
    @Test
    void archiveCountsStayExactAfterAPurgeOfManyMessages() {
        ArchiveStore archive = storage.archive();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        for (int b = 0; b < 5; b++) {
            List<ArchiveStore.Appended> batch = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                int n = b * 5000 + i;
                batch.add(appended(n % 2 == 0 ? "a@example.org" : "b@example.org", "m" + n,
                        "p" + (n % 7) + "@example.org/r", t0.plusSeconds(n)));
            }
            archive.appendAll(batch);
        }
        assertEquals(22_000, archive.deleteOlderThan(t0.plusSeconds(22_000)));
        assertCounts("a@example.org", null, 1500);
        assertCounts("b@example.org", null, 1500);
        for (int p = 0; p < 7; p++) {
            assertEquals(recounted("a@example.org", "p" + p + "@example.org"), counted("a@example.org", "p" + p + "@example.org"));
        }
    }

    /** The single writer thread appends while a purge and an archive deletion run: the counters stay exact. */
    @Test
    void archiveCountsStayExactWhilePurgeAndWriterRunConcurrently() throws Exception {
        ArchiveStore archive = storage.archive();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        List<String> archives = List.of("a@example.org", "b@example.org", "c@example.org");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> writer = pool.submit(() -> {
                for (int b = 0; b < 40; b++) {
                    List<ArchiveStore.Appended> batch = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        int n = b * 50 + i;
                        // Old and new messages interleaved, so each purge finds some in every archive.
                        batch.add(appended(archives.get(n % 3), "m" + n, "p" + (n % 5) + "@example.org",
                                t0.plusSeconds(n % 2 == 0 ? n : 100_000 + n)));
                    }
                    archive.appendAll(batch);
                }
                return null;
            });
            Future<?> purger = pool.submit(() -> {
                for (int p = 0; p < 20; p++) {
                    archive.deleteOlderThan(t0.plusSeconds(50_000));
                    if (p == 10) {
                        archive.deleteArchive("c@example.org");
                    }
                }
                return null;
            });
            writer.get(120, TimeUnit.SECONDS);
            purger.get(120, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        for (String a : archives) {
            assertEquals(recounted(a, null), counted(a, null), a);
            for (int p = 0; p < 5; p++) {
                assertEquals(recounted(a, "p" + p + "@example.org"), counted(a, "p" + p + "@example.org"), a + " " + p);
            }
        }
        archive.deleteOlderThan(t0.plusSeconds(50_000));
        // What is left: the new messages (odd n), n = 3 mod 6 in a, 1 mod 6 in b.
        assertCounts("a@example.org", null, 333);
        assertCounts("b@example.org", null, 334);
        assertEquals(recounted("c@example.org", null), counted("c@example.org", null));
    }

    /**
     * The per-account archive cap (issue 17, limits.archive-messages-per-account): the archives over it are found
     * from the counters, and trimming deletes the oldest in archive order (not by their timestamps), keeping the
     * newest and every counter exact.
     */
    @Test
    void archiveCapDeletesTheOldestBeyondTheNewestAndKeepsCountersExact() {
        ArchiveStore archive = storage.archive();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        String room = "room@conference.example.org";
        List<ArchiveStore.Appended> batch = new ArrayList<>();
        for (int n = 0; n < 30; n++) {
            // Timestamps out of archive order (a delayed message is archived with its own time): order is seq's.
            batch.add(appended("alice@example.org", "a" + n, n % 3 == 0 ? "carol@example.org/phone"
                    : "bob@example.org", t0.plusSeconds(n % 2 == 0 ? 1000 - n : n)));
            batch.add(appended(room, "r" + n, room + "/nick", t0.plusSeconds(n)));
        }
        for (int n = 0; n < 3; n++) {
            batch.add(appended("dave@example.org", "d" + n, "alice@example.org", t0.plusSeconds(n)));
        }
        archive.appendAll(batch);

        assertEquals(Map.of("alice@example.org", 30L, room, 30L), archive.archivesOver(10));
        assertEquals(Map.of("alice@example.org", 30L, room, 30L, "dave@example.org", 3L), archive.archivesOver(2));
        assertEquals(Map.of(), archive.archivesOver(30), "an archive at the cap is not over it");

        assertEquals(20, archive.deleteOldestBeyond("alice@example.org", 10));
        ArchiveStore.Page left = archive.page(new ArchiveStore.Filter("alice@example.org", null, null, null),
                new ArchiveStore.Paging(null, null, false, 100));
        assertEquals(List.of("a20", "a21", "a22", "a23", "a24", "a25", "a26", "a27", "a28", "a29"), ids(left));
        assertCounts("alice@example.org", null, 10);
        assertCounts("alice@example.org", "bob@example.org", 7);
        assertCounts("alice@example.org", "carol@example.org", 3); // a21, a24, a27
        assertCounts(room, null, 30);
        assertCounts("dave@example.org", null, 3);
        assertEquals(0, archive.deleteOldestBeyond("alice@example.org", 10), "a second run finds nothing");
        assertEquals(0, archive.deleteOldestBeyond("dave@example.org", 10), "under the cap: nothing");
        assertEquals(0, archive.deleteOldestBeyond("nobody@example.org", 10));
        assertEquals(Map.of(room, 30L), archive.archivesOver(10));

        assertEquals(10, archive.deleteOldestBeyond("alice@example.org", 0), "0 keeps nothing");
        assertCounts("alice@example.org", null, 0);
        assertCounts("alice@example.org", "bob@example.org", 0);
        archive.append("alice@example.org", new ArchiveStore.Entry("again", "bob@example.org", t0, "<message/>"));
        assertCounts("alice@example.org", "bob@example.org", 1);
    }

    /** The cap over many delete chunks (1000 rows each), while the single writer keeps appending. */
    @Test
    void archiveCapOverManyMessagesWhileTheWriterAppendsKeepsCountersExact() throws Exception {
        ArchiveStore archive = storage.archive();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        for (int b = 0; b < 5; b++) {
            List<ArchiveStore.Appended> batch = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                int n = b * 5000 + i;
                batch.add(appended("a@example.org", "m" + n, "p" + (n % 7) + "@example.org/r", t0.plusSeconds(n)));
            }
            archive.appendAll(batch);
        }
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<?> writer = pool.submit(() -> {
                for (int b = 0; b < 20; b++) {
                    List<ArchiveStore.Appended> batch = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        int n = 25_000 + b * 50 + i;
                        batch.add(appended("a@example.org", "m" + n, "p" + (n % 7) + "@example.org", t0.plusSeconds(n)));
                    }
                    archive.appendAll(batch);
                }
                return null;
            });
            int deleted = archive.deleteOldestBeyond("a@example.org", 1000);
            writer.get(120, TimeUnit.SECONDS);
            assertTrue(deleted >= 24_000 && deleted <= 25_000, "deleted " + deleted);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(recounted("a@example.org", null), counted("a@example.org", null));
        for (int p = 0; p < 7; p++) {
            assertEquals(recounted("a@example.org", "p" + p + "@example.org"), counted("a@example.org", "p" + p + "@example.org"));
        }
        archive.deleteOldestBeyond("a@example.org", 1000);
        assertCounts("a@example.org", null, 1000);
        ArchiveStore.Page newest = archive.page(new ArchiveStore.Filter("a@example.org", null, null, null),
                new ArchiveStore.Paging(null, null, true, 1));
        assertEquals(List.of("m25999"), ids(newest), "the newest is kept");
        ArchiveStore.Page oldest = archive.page(new ArchiveStore.Filter("a@example.org", null, null, null),
                new ArchiveStore.Paging(null, null, false, 1));
        assertEquals(List.of("m25000"), ids(oldest), "exactly the newest 1000 are kept");
    }

    /** V7 counts the messages archived before it. */
    @Test
    void archiveCountsAreBackfilledForMessagesFromBeforeTheCounters() throws Exception {
        StorageSettings other = otherDatabase();
        org.junit.jupiter.api.Assumptions.assumeTrue(other != null, "no databases from before V7 on this backend");
        org.flywaydb.core.Flyway.configure().dataSource(other.jdbcUrl(), other.user(), other.password())
                .locations("classpath:db/migration").target("6").load().migrate();
        try (Connection c = DriverManager.getConnection(other.jdbcUrl(), other.user(), other.password());
             PreparedStatement insert = c.prepareStatement("INSERT INTO archive_messages "
                     + "(archive, id, with_jid, with_bare, sent_at, stanza) VALUES (?, ?, ?, ?, ?, '<m/>')")) {
            String[][] rows = {
                    {"alice@example.org", "1", "bob@example.org", "bob@example.org"},
                    {"alice@example.org", "2", "bob@example.org/phone", "bob@example.org"},
                    {"alice@example.org", "3", "carol@example.org", "carol@example.org"},
                    {"room@conference.example.org", "4", "room@conference.example.org/x", "room@conference.example.org"},
            };
            for (String[] row : rows) {
                for (int i = 0; i < 4; i++) {
                    insert.setString(i + 1, row[i]);
                }
                insert.setObject(5, java.time.OffsetDateTime.parse("2026-01-01T00:00:00Z"));
                insert.executeUpdate();
            }
            if (!c.getAutoCommit()) {
                c.commit();
            }
        }
        storage.close();
        storage = JdbcStorage.open(other, otherDataDirectory);
        assertCounts("alice@example.org", null, 3);
        assertCounts("alice@example.org", "bob@example.org", 2);
        assertCounts("alice@example.org", "carol@example.org", 1);
        assertCounts("room@conference.example.org", "room@conference.example.org", 1);
        storage.archive().appendAll(List.of(appended("alice@example.org", "5", "bob@example.org", Instant.now())));
        assertCounts("alice@example.org", "bob@example.org", 3);
        assertEquals(4, storage.archive().deleteOlderThan(Instant.parse("2026-01-02T00:00:00Z")));
        assertCounts("alice@example.org", null, 1);
        assertCounts("alice@example.org", "bob@example.org", 1);
        assertCounts("alice@example.org", "carol@example.org", 0);
        assertCounts("room@conference.example.org", null, 0);
    }

    // ---- publish-subscribe

    @Test
    void pubsubNodesKeepConfigurationAffiliationsSubscriptionsAndItems() {
        PubSubStore pubsub = storage.pubsub();
        String pep = "alice@example.org";
        PubSubStore.StoredNode mood = new PubSubStore.StoredNode(pep, "http://jabber.org/protocol/mood",
                Map.of("access_model", "presence", "max_items", "2"), Map.of("alice@example.org", "owner"),
                Set.of("bob@example.org", "carol@example.org/phone"));
        pubsub.saveNode(mood);
        pubsub.saveNode(new PubSubStore.StoredNode("pubsub.example.org", "news", Map.of(), Map.of(), Set.of()));
        assertEquals(Optional.of(mood), pubsub.node(pep, mood.node()));
        assertEquals(List.of(mood), pubsub.nodes(pep));

        pubsub.publish(pep, mood.node(), new PubSubStore.StoredItem("a", pep, "<mood>happy</mood>"), 2);
        pubsub.publish(pep, mood.node(), new PubSubStore.StoredItem("b", pep, null), 2);
        pubsub.publish(pep, mood.node(), new PubSubStore.StoredItem("a", pep, "<mood>sad</mood>"), 2);
        assertEquals(List.of(new PubSubStore.StoredItem("a", pep, "<mood>sad</mood>"),
                new PubSubStore.StoredItem("b", pep, null)), pubsub.items(pep, mood.node(), 10),
                "republishing an id makes it the newest, payload replaced");
        pubsub.publish(pep, mood.node(), new PubSubStore.StoredItem("c", pep, "<mood>calm</mood>"), 2);
        assertEquals(List.of("c", "a"), pubsub.items(pep, mood.node(), 10).stream().map(PubSubStore.StoredItem::id).toList(),
                "the oldest beyond max_items is dropped");
        assertEquals(List.of("c"), pubsub.items(pep, mood.node(), Set.of("c", "zzz")).stream()
                .map(PubSubStore.StoredItem::id).toList());

        PubSubStore.StoredNode reconfigured = new PubSubStore.StoredNode(pep, mood.node(), Map.of("max_items", "1"),
                Map.of("alice@example.org", "owner", "bob@example.org", "publisher"), Set.of());
        pubsub.saveNode(reconfigured);
        assertEquals(Optional.of(reconfigured), pubsub.node(pep, mood.node()));
        assertEquals(2, pubsub.items(pep, mood.node(), 10).size(), "saving a node keeps its items");
        pubsub.trim(pep, mood.node(), 1);
        assertEquals(List.of("c"), pubsub.items(pep, mood.node(), 10).stream().map(PubSubStore.StoredItem::id).toList());
        assertTrue(pubsub.retract(pep, mood.node(), "c"));
        assertFalse(pubsub.retract(pep, mood.node(), "c"));
        pubsub.publish(pep, mood.node(), new PubSubStore.StoredItem("d", pep, "<x/>"), 5);
        pubsub.purge(pep, mood.node());
        assertEquals(List.of(), pubsub.items(pep, mood.node(), 10));

        assertTrue(pubsub.deleteNode(pep, mood.node()));
        assertFalse(pubsub.deleteNode(pep, mood.node()));
        assertEquals(Optional.empty(), pubsub.node(pep, mood.node()));
        assertEquals(1, pubsub.nodes("pubsub.example.org").size(), "other services untouched");
    }

    private static List<String> ids(ArchiveStore.Page page) {
        return page.entries().stream().map(ArchiveStore.Entry::id).toList();
    }

    // ---- durability

    @Test
    void everythingSurvivesCloseAndReopen() {
        Map<ScramHash, ScramCredential> credentials = credentials();
        RosterEntry bob = entry("bob@example.org", "both", "Friends");
        accounts().create("alice", credentials);
        rosters().put("alice", entry("bob@example.org", "none"));
        rosters().put("alice", bob);
        offline().store("alice", "<message id='1'/>", 10);
        offline().store("alice", "<message id='2'/>", 10);
        documents().put("alice", "vcard-temp", "<vCard xmlns='vcard-temp'/>");

        storage.close();
        storage.close(); // safe twice
        storage = openStorage();

        assertEquals(Optional.of(credentials), accounts().credentials("alice"));
        assertEquals(List.of(bob), rosters().roster("alice"));
        assertEquals(2, rosters().version("alice"));
        assertEquals(List.of("<message id='1'/>", "<message id='2'/>"), offline().drain("alice"));
        assertEquals(Optional.of("<vCard xmlns='vcard-temp'/>"), documents().get("alice", "vcard-temp"));
        assertEquals(3, rosters().put("alice", entry("carol@example.org", "none")), "versions continue");
    }
}
