package org.parley.server.sm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.ReconnectionManager;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.packet.StreamError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.mam.MamManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.Storage;
import org.parley.server.storage.StorageException;
import org.parley.server.testing.ForwardingStorage;
import org.parley.server.testing.TestServer;

/**
 * An XEP-0198 acknowledgement means the message archive stored what it covers (issue 6). The server runs on
 * its real database, seen through an archive store that can be told to refuse writes: a batch that keeps
 * failing is never acknowledged (the stream ends with an error and cannot be resumed, so the client still
 * holds those messages as unacknowledged and may send them again on a new session), and one that fails once
 * is tried again and loses nothing.
 */
class UnstoredMessagesTest {

    @TempDir
    Path data;

    /** Archive writes still to refuse; negative: refuse all. */
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(data, s -> s, RefusingArchive::new);
        server.createUser("romeo");
        server.createUser("juliet");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static Message chat(XMPPTCPConnection to, String body) {
        return MessageBuilder.buildMessage().to(to.getUser().asBareJid()).ofType(Message.Type.chat).setBody(body).build();
    }

    @Test
    void xep0198_4_messagesTheArchiveCouldNotStoreAreNeverAcknowledged() throws Exception {
        XMPPTCPConnection romeo = new XMPPTCPConnection(server.config("romeo").setResource("phone").build());
        romeo.setUseStreamManagement(true);
        romeo.setUseStreamManagementResumption(true);
        ReconnectionManager.getInstanceFor(romeo).disableAutomaticReconnection();
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        BlockingQueue<String> acks = new LinkedBlockingQueue<>();
        romeo.addStanzaAcknowledgedListener(s -> {
            if (s instanceof Message m && m.getBody() != null) {
                acknowledged.add(m.getBody());
                acks.add(m.getBody());
            }
        });
        BlockingQueue<Exception> closedOnError = new LinkedBlockingQueue<>();
        romeo.addConnectionListener(new ConnectionListener() {
            @Override
            public void connectionClosedOnError(Exception e) {
                closedOnError.add(e);
            }
        });
        XMPPTCPConnection juliet = server.login("juliet");
        try {
            romeo.connect().login();
            assertTrue(romeo.isSmEnabled() && romeo.isSmResumptionPossible(), "XEP-0198 with resumption");

            romeo.sendStanza(chat(juliet, "stored"));
            romeo.requestSmAcknowledgement();
            assertEquals("stored", acks.poll(10, TimeUnit.SECONDS), "a message the archive stored is acknowledged");

            failuresLeft.set(-1);
            for (int i = 1; i <= 3; i++) {
                romeo.sendStanza(chat(juliet, "lost-" + i));
            }
            romeo.requestSmAcknowledgement();
            Exception error = closedOnError.poll(30, TimeUnit.SECONDS);
            assertNotNull(error, "the stream ends when the archive cannot store what the client asks to have acknowledged");
            assertTrue(error instanceof XMPPException.StreamErrorException, error.toString());
            assertEquals(StreamError.Condition.internal_server_error,
                    ((XMPPException.StreamErrorException) error).getStreamError().getCondition());
            assertTrue(refused.get() >= 3, "the batch was tried three times, refused " + refused.get());
            assertEquals(Set.of("stored"), acknowledged, "nothing the archive refused was acknowledged");

            // The session was not kept for resumption (XEP-0198 §5: a <resumed h/> would acknowledge the refused
            // messages after all); a new one starts. The archive still refuses meanwhile: the stream goes on
            // handling what follows an <r/> while the commit is pending (issue 18), so Smack's stanzas after its
            // request may still be queued and retried; the query below waits until the writer is done with them.
            romeo.connect().login();
            assertFalse(romeo.streamWasResumed(), "a stream ended by an error is not resumed");
            assertEquals(List.of("stored"), archive(romeo, "juliet@localhost"),
                    "the refused messages are indeed not stored: an acknowledgement would have been false");
            failuresLeft.set(0);
        } finally {
            romeo.disconnect();
            juliet.disconnect();
        }
    }

    @Test
    void aBatchThatFailsOnceIsWrittenOnTheRetryAndAcknowledged() throws Exception {
        XMPPTCPConnection romeo = new XMPPTCPConnection(server.config("romeo").setResource("phone").build());
        romeo.setUseStreamManagement(true);
        ReconnectionManager.getInstanceFor(romeo).disableAutomaticReconnection();
        BlockingQueue<String> acks = new LinkedBlockingQueue<>();
        romeo.addStanzaAcknowledgedListener(s -> {
            if (s instanceof Message m && m.getBody() != null) {
                acks.add(m.getBody());
            }
        });
        XMPPTCPConnection juliet = server.login("juliet");
        try {
            romeo.connect().login();
            assertTrue(romeo.isSmEnabled());
            failuresLeft.set(1);
            for (int i = 1; i <= 3; i++) {
                romeo.sendStanza(chat(juliet, "retried-" + i));
            }
            romeo.requestSmAcknowledgement();
            List<String> acked = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String body = acks.poll(30, TimeUnit.SECONDS);
                assertNotNull(body, "acknowledged so far: " + acked);
                acked.add(body);
            }
            // Smack calls acknowledgement listeners concurrently: the order they record is not the stream's.
            assertEquals(Set.of("retried-1", "retried-2", "retried-3"), Set.copyOf(acked));
            assertEquals(1, refused.get(), "the first attempt was refused");
            assertTrue(romeo.isConnected(), "the stream goes on");
            assertEquals(List.of("retried-1", "retried-2", "retried-3"), archive(romeo, "juliet@localhost"));
            assertEquals(List.of("retried-1", "retried-2", "retried-3"), archive(juliet, "romeo@localhost"),
                    "and in the recipient's archive");
        } finally {
            romeo.disconnect();
            juliet.disconnect();
        }
    }

    private static List<String> archive(XMPPTCPConnection connection, String with) throws Exception {
        MamManager mam = MamManager.getInstanceFor(connection);
        assertTrue(mam.isSupported(), "XEP-0313");
        MamManager.MamQuery query = mam.queryArchive(MamManager.MamQueryArgs
                .builder().limitResultsToJid(JidCreate.bareFrom(with)).setResultPageSizeTo(50).build());
        return query.getMessages().stream().map(Message::getBody).toList();
    }

    /** The real storage, with archive writes refused while {@link #failuresLeft} says so. */
    private final class RefusingArchive extends ForwardingStorage {
        private final ArchiveStore archive;

        RefusingArchive(Storage real) {
            super(real);
            ArchiveStore store = real.archive();
            this.archive = new ArchiveStore() {
                @Override
                public void append(String owner, Entry entry) {
                    refuseIfTold();
                    store.append(owner, entry);
                }

                @Override
                public void appendAll(List<Appended> entries) {
                    refuseIfTold();
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
                public java.util.Optional<Entry> entry(String owner, String id) {
                    return store.entry(owner, id);
                }

                @Override
                public boolean replace(String owner, String id, String stanza) {
                    return store.replace(owner, id, stanza);
                }
            };
        }

        private void refuseIfTold() {
            int left = failuresLeft.getAndUpdate(n -> n > 0 ? n - 1 : n);
            if (left != 0) {
                refused.incrementAndGet();
                throw new StorageException("refused by the test", null);
            }
        }

        @Override
        public ArchiveStore archive() {
            return archive;
        }
    }
}
