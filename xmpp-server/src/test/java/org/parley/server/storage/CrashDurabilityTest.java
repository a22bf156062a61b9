package org.parley.server.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jivesoftware.smack.ReconnectionManager;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.sm.predicates.AfterXStanzas;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.config.ServerSettings.StorageSettings;
import org.parley.server.testing.ServerProcess;
import org.parley.server.testing.TestPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server acknowledged as stored survives {@code kill -9}. A sender streams chat messages, half to
 * an offline account (offline storage, XEP-0160) and half to an online one (delivered and archived for both,
 * XEP-0313), with XEP-0198 acknowledgement requests; the server process is killed (SIGKILL) while messages
 * are still in flight, then started again on the same data. Every message the server acknowledged
 * ({@code <a h/>}) must be there: in the offline queue, and in both archives, in order and without gaps
 * (what was stored is a prefix of what was sent).
 */
class CrashDurabilityTest {

    private static final Logger LOG = LoggerFactory.getLogger(CrashDurabilityTest.class);

    private static final int ACKED_BEFORE_KILL = 300;

    @TempDir
    Path temp;

    private static Message chat(String to, String body) throws Exception {
        return MessageBuilder.buildMessage().to(JidCreate.from(to)).ofType(Message.Type.chat).setBody(body).build();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"embedded", "postgresql"})
    void everyAcknowledgedMessageSurvivesKill9(String backend) throws Exception {
        // embedded: SQLite in WAL mode with synchronous=NORMAL (see EmbeddedDatabase)
        StorageSettings database = backend.equals("embedded") ? null : TestPostgres.newDatabase();
        String url = database == null ? null : database.jdbcUrl();
        String user = database == null ? null : database.user();
        Path data = Files.createDirectories(temp.resolve("data"));
        List<String> users = List.of("sender", "sleeper", "bob");

        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger sent = new AtomicInteger();
        int sentAtKill;
        int ackedAtKill;
        try (ServerProcess server = ServerProcess.start(data, url, user, users)) {
            XMPPTCPConnection bob = connect(server, "bob");
            bob.sendStanza(bob.getStanzaFactory().buildPresenceStanza().build());
            bob.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));

            XMPPTCPConnection sender = new XMPPTCPConnection(server.config("sender").build());
            sender.setUseStreamManagement(true);
            ReconnectionManager.getInstanceFor(sender).disableAutomaticReconnection();
            sender.addRequestAckPredicate(new AfterXStanzas(10));
            sender.addStanzaAcknowledgedListener(s -> {
                if (s instanceof Message m && m.getBody() != null) {
                    acknowledged.add(m.getBody());
                }
            });
            sender.connect().login();
            assertTrue(sender.isSmEnabled(), "XEP-0198 enabled");

            Thread stream = new Thread(() -> {
                try {
                    for (int i = 0; ; i++) {
                        sender.sendStanza(chat("sleeper@localhost", "o" + i));
                        sender.sendStanza(chat("bob@localhost", "a" + i));
                        sent.addAndGet(2);
                    }
                } catch (Exception | AssertionError e) {
                    // the server is gone: the stream ends here
                }
            }, "message-stream");
            stream.setDaemon(true);
            stream.start();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (acknowledged.size() < ACKED_BEFORE_KILL) {
                assertTrue(System.nanoTime() < deadline, "only " + acknowledged.size() + " of " + sent.get()
                        + " messages acknowledged in 120 s; server log:\n" + server.log());
                assertTrue(stream.isAlive(), "the stream ended early; server log:\n" + server.log());
                Thread.onSpinWait();
                Thread.sleep(1); // a poll of a condition with a deadline, not a timed wait for an outcome
            }
            sentAtKill = sent.get();
            ackedAtKill = acknowledged.size();
            server.kill();
            stream.join(TimeUnit.SECONDS.toMillis(30));
            sender.instantShutdown();
            bob.instantShutdown();
        }
        assertTrue(sentAtKill > ackedAtKill, "killed mid-stream: " + sentAtKill + " sent, " + ackedAtKill + " acknowledged");

        int lastOffline = highest(acknowledged, "o");
        int lastArchived = highest(acknowledged, "a");
        LOG.info("{}: killed with {} messages sent, {} acknowledged (last o{}, a{})", backend, sentAtKill,
                ackedAtKill, lastOffline, lastArchived);
        try (ServerProcess server = ServerProcess.start(data, url, user, users)) {
            XMPPTCPConnection sleeper = new XMPPTCPConnection(server.config("sleeper").build());
            BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
            sleeper.addSyncStanzaListener(s -> inbox.add((Message) s), s -> s instanceof Message);
            sleeper.connect().login();
            sleeper.sendStanza(sleeper.getStanzaFactory().buildPresenceStanza().build());
            List<String> offline = new ArrayList<>();
            for (int i = 0; i <= lastOffline; i++) {
                Message m = inbox.poll(30, TimeUnit.SECONDS);
                assertTrue(m != null, "acknowledged offline message o" + i + " is missing after kill -9 (" + backend + ")");
                offline.add(m.getBody());
            }
            assertEquals(sequence("o", lastOffline + 1), offline, "offline messages in order, none lost");
            Message extra;
            while ((extra = inbox.poll(1, TimeUnit.SECONDS)) != null) { // unacknowledged ones that made it, if any
                offline.add(extra.getBody());
            }
            assertEquals(sequence("o", offline.size()), offline, "offline messages: a prefix of what was sent");
            LOG.info("{}: {} offline messages after the restart", backend, offline.size());
            sleeper.disconnect();

            for (String owner : List.of("sender", "bob")) {
                XMPPTCPConnection connection = connect(server, owner);
                String with = owner.equals("sender") ? "bob@localhost" : "sender@localhost";
                List<String> archived = archive(connection, with);
                assertTrue(archived.size() > lastArchived, owner + "'s archive has " + archived.size()
                        + " messages, but a" + lastArchived + " was acknowledged (" + backend + ")");
                assertEquals(sequence("a", archived.size()), archived, owner + "'s archive: a prefix of what was sent");
                LOG.info("{}: {}'s archive holds {} messages after the restart", backend, owner, archived.size());
                connection.disconnect();
            }
        }
    }

    private static XMPPTCPConnection connect(ServerProcess server, String user) throws Exception {
        XMPPTCPConnection connection = new XMPPTCPConnection(server.config(user).build());
        connection.setReplyTimeout(30_000);
        connection.connect().login();
        return connection;
    }

    private static List<String> archive(XMPPTCPConnection connection, String with) throws Exception {
        MamManager mam = MamManager.getInstanceFor(connection);
        assertTrue(mam.isSupported());
        MamManager.MamQuery query = mam.queryArchive(MamManager.MamQueryArgs.builder()
                .limitResultsToJid(JidCreate.bareFrom(with)).setResultPageSizeTo(250).build());
        List<String> bodies = new ArrayList<>(query.getMessages().stream().map(Message::getBody).toList());
        while (!query.isComplete()) {
            bodies.addAll(query.pageNext(250).stream().map(Message::getBody).toList());
        }
        return bodies;
    }

    private static int highest(Set<String> bodies, String prefix) {
        return bodies.stream().filter(b -> b.startsWith(prefix)).mapToInt(b -> Integer.parseInt(b.substring(1)))
                .max().orElse(-1);
    }

    private static List<String> sequence(String prefix, int n) {
        List<String> result = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            result.add(prefix + i);
        }
        return result;
    }
}
