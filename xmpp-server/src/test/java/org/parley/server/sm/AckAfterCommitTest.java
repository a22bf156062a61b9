package org.parley.server.sm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.Storage;
import org.parley.server.testing.ForwardingStorage;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.StoreGate;
import org.parley.server.testing.TestServer;

/**
 * XEP-0198 §4 with a slow archive (issues 18 and 23): the {@code <a h/>} that covers an archived message
 * comes only after the archive's commit — and, while the commit is held back, the stream goes on serving
 * the client (no worker thread waits for the commit). The archive's writes are held deterministically at a
 * gate in the store, not slowed by sleeps.
 */
class AckAfterCommitTest {

    @TempDir
    Path data;

    /** Writes to the archive wait here while the test holds them. */
    private final StoreGate gate = new StoreGate("archive");
    private TestServer server;
    private Storage storage;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(data, s -> s, GatedArchive::new);
        server.createUser("romeo");
        server.createUser("juliet");
    }

    @AfterEach
    void stop() {
        gate.open();
        server.close();
    }

    private long stored(String owner) {
        return storage.archive().page(new ArchiveStore.Filter(owner, null, null, null),
                new ArchiveStore.Paging(null, null, true, 1)).count();
    }

    @Test
    void xep0198_4_theAckOfAnArchivedMessageComesAfterTheCommitAndTheStreamIsNotBlockedMeanwhile() throws Exception {
        try (RawClient juliet = RawClient.loggedIn(server, "juliet");
             RawClient romeo = RawClient.loggedIn(server, "romeo")) {
            romeo.send("<enable xmlns='urn:xmpp:sm:3'/>").await("<enabled");
            romeo.clear();

            gate.close();
            romeo.send("<message to='juliet@localhost/raw' type='chat' id='m1'><body>held</body></message>")
                    .send("<r xmlns='urn:xmpp:sm:3'/>");
            assertTrue(gate.awaitEntered(30, TimeUnit.SECONDS), "the writer reached the store and is held there");
            // The stream answers what comes after the request while the commit is held: before the change the
            // <r/> held the session's worker until the commit (up to 10 s), and this ping went unanswered.
            String afterPing = romeo.send("<iq type='get' id='ping1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
                    .await("ping1");
            juliet.await("held");
            assertFalse(afterPing.contains("<a "), "no acknowledgement while the message is not stored: " + afterPing);
            assertEquals(0, stored("romeo@localhost"), "indeed not stored yet");

            gate.open();
            String acked = romeo.await("</a>").replace('"', '\'');
            assertTrue(acked.contains("h='1'"), "the acknowledgement counts the message handled when asked: " + acked);
            assertEquals(1, stored("romeo@localhost"), "acknowledged means stored (sender's archive)");
            assertEquals(1, stored("juliet@localhost"), "and the recipient's");
            assertTrue(acked.indexOf("<a ") > acked.indexOf("ping1"), "sent after the commit, not before: " + acked);
        }
    }

    @Test
    void xep0198_4_acknowledgementsKeepTheOrderOfTheRequestsWhenTheFirstWaitsForTheArchive() throws Exception {
        try (RawClient juliet = RawClient.loggedIn(server, "juliet");
             RawClient romeo = RawClient.loggedIn(server, "romeo")) {
            romeo.send("<enable xmlns='urn:xmpp:sm:3'/>").await("<enabled");
            romeo.clear();

            gate.close();
            romeo.send("<message to='juliet@localhost/raw' type='chat' id='m1'><body>one</body></message>")
                    .send("<r xmlns='urn:xmpp:sm:3'/>");
            assertTrue(gate.awaitEntered(30, TimeUnit.SECONDS), "the writer is held");
            // Nothing archived since the first request: this one could be answered at once, but it must not
            // overtake the first (a client reads h as a running count).
            romeo.send("<iq type='get' id='ping1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
                    .send("<r xmlns='urn:xmpp:sm:3'/>")
                    .send("<iq type='get' id='ping2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
                    .await("ping2");
            assertFalse(romeo.received().contains("<a "), "neither request answered before the commit: " + romeo.received());

            gate.open();
            String both = romeo.await("h=\"2\"").replace('"', '\'');
            int first = both.indexOf("h='1'");
            assertTrue(first >= 0 && first < both.indexOf("h='2'"), "answered in order: " + both);
            assertEquals(1, stored("romeo@localhost"));
        }
    }

    @Test
    void anAckWithNothingArchivedIsAnsweredAtOnce() throws Exception {
        try (RawClient romeo = RawClient.loggedIn(server, "romeo")) {
            romeo.send("<enable xmlns='urn:xmpp:sm:3'/>").await("<enabled");
            gate.close(); // a held writer does not matter: nothing waits for it
            romeo.send("<iq type='get' id='ping1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
                    .send("<r xmlns='urn:xmpp:sm:3'/>").await("h=\"1\"", Duration.ofSeconds(30));
        }
    }

    @Test
    void xep0198_5_theResumedCountCoversOnlyWhatTheOldStreamStored() throws Exception {
        String id;
        try (RawClient juliet = RawClient.loggedIn(server, "juliet")) {
            RawClient romeo = RawClient.loggedIn(server, "romeo");
            String enabled = romeo.send("<enable xmlns='urn:xmpp:sm:3' resume='true'/>").await("<enabled")
                    .replace('"', '\'');
            enabled = enabled.substring(enabled.indexOf(" id='") + 5);
            id = enabled.substring(0, enabled.indexOf('\''));

            gate.close();
            romeo.send("<message to='juliet@localhost/raw' type='chat' id='m1'><body>held</body></message>");
            assertTrue(gate.awaitEntered(30, TimeUnit.SECONDS), "the writer is held");
            juliet.await("held");
            romeo.close(); // the connection drops before any <r/>: the old stream's pending write is not answered

            try (RawClient again = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
                again.openStream().await("</stream:features>");
                String plain = java.util.Base64.getEncoder().encodeToString(("\0romeo\0" + TestServer.PASSWORD)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
                again.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>")
                        .await("<success");
                again.clear();
                again.openStream().await("</stream:features>");
                // The <enable/> after the <resume/> is refused at once, on the stream and not through the
                // session's held output: a point at which the <resume/> was surely handled.
                String probe = again.send("<resume xmlns='urn:xmpp:sm:3' previd='" + id + "' h='0'/>")
                        .send("<enable xmlns='urn:xmpp:sm:3'/>").await("</failed>");
                assertTrue(probe.contains("unexpected-request"), probe);
                assertFalse(probe.contains("<resumed"), "no <resumed h/> while the message is not stored: " + probe);
                assertEquals(0, stored("romeo@localhost"), "indeed not stored yet");

                gate.open();
                String resumed = again.await("<resumed").replace('"', '\'');
                assertEquals(1, stored("romeo@localhost"), "resumed means stored (sender's archive)");
                assertTrue(resumed.contains("h='1'"), "the message is counted: " + resumed);
            }
        }
    }

    /** The real storage; the archive's batch writes wait at {@link #gate}. */
    private final class GatedArchive extends ForwardingStorage {
        private final ArchiveStore archive;

        GatedArchive(Storage real) {
            super(real);
            storage = real;
            ArchiveStore store = real.archive();
            this.archive = new ArchiveStore() {
                @Override
                public void append(String owner, Entry entry) {
                    gate.hold();
                    store.append(owner, entry);
                }

                @Override
                public void appendAll(List<Appended> entries) {
                    gate.hold();
                    store.appendAll(entries);
                }

                @Override
                public Page page(Filter filter, Paging paging) {
                    return store.page(filter, paging);
                }

                @Override
                public int deleteOlderThan(Instant cutoff) {
                    return store.deleteOlderThan(cutoff);
                }

                @Override
                public java.util.Map<String, Long> archivesOver(long cap) {
                    return store.archivesOver(cap);
                }

                @Override
                public int deleteOldestBeyond(String owner, long keep) {
                    return store.deleteOldestBeyond(owner, keep);
                }

                @Override
                public void deleteArchive(String owner) {
                    store.deleteArchive(owner);
                }

                @Override
                public Optional<Entry> entry(String owner, String id) {
                    return store.entry(owner, id);
                }

                @Override
                public boolean replace(String owner, String id, String stanza) {
                    return store.replace(owner, id, stanza);
                }
            };
        }

        @Override
        public ArchiveStore archive() {
            return archive;
        }
    }
}
