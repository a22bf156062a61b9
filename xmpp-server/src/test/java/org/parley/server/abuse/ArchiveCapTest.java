package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.ping.packet.Ping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.config.ServerSettings;
import org.parley.server.mam.ArchiveHousekeeping;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.testing.TestServer;
import org.slf4j.LoggerFactory;

/**
 * Issue 17, "archive retention default and per-user cap": an account's archive (XEP-0313) keeps at most
 * limits.archive-messages-per-account messages. The archive housekeeping (run here directly, as the server's
 * schedule runs it) deletes the oldest beyond the cap, logs each account at INFO with how many, and a client's
 * archive query afterwards sees exactly the newest, with an exact XEP-0059 count. Room archives are not an
 * account's: the cap leaves them alone.
 */
class ArchiveCapTest {

    private static final int CAP = 5;

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(GuardTweak.of(g -> g.quotas =
            new ServerSettings.Quotas(1000, 100, 256 * 1024, 100, CAP, 1000, 100)), "ann", "ben");

    @Test
    void theHousekeepingKeepsTheNewestMessagesOfEachAccountAndAQueryShowsOnlyThem() throws Exception {
        String room = "hall@conference.localhost";
        ArchiveStore store = server.server().storage().archive();
        for (int i = 0; i < CAP + 3; i++) {
            store.append(room, new ArchiveStore.Entry("hall-" + i, room + "/someone", Instant.now(), "<message/>"));
        }
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger logger = (Logger) LoggerFactory.getLogger(ArchiveHousekeeping.class);
        logger.addAppender(log);
        XMPPTCPConnection ann = server.login("ann");
        XMPPTCPConnection ben = server.login("ben");
        try {
            int sent = CAP + 3;
            for (int i = 0; i < sent; i++) {
                ann.sendStanza(MessageBuilder.buildMessage().to(JidCreate.from("ben@localhost"))
                        .ofType(Message.Type.chat).setBody("m" + i).build());
            }
            ann.setReplyTimeout(60_000);
            ben.setReplyTimeout(60_000);
            // Answered after the last message: the server routed them all (and the archive write is acknowledged
            // before its stanza is, see DurableWrites).
            ann.sendIqRequestAndWaitForResponse(new Ping(JidCreate.domainBareFrom("localhost")));
            MamManager anns = MamManager.getInstanceFor(ann);
            MamManager bens = MamManager.getInstanceFor(ben);
            assertTrue(anns.isSupported() && bens.isSupported()); // Smack learns the MAM version from disco
            awaitCount(anns, sent);
            awaitCount(bens, sent);

            server.server().archiveHousekeeping().run();

            List<String> expected = new ArrayList<>();
            for (int i = sent - CAP; i < sent; i++) {
                expected.add("m" + i);
            }
            for (MamManager mam : List.of(anns, bens)) {
                MamManager.MamQuery all = mam.queryArchive(MamManager.MamQueryArgs.builder()
                        .setResultPageSizeTo(50).build());
                assertEquals(expected, all.getMessages().stream().map(Message::getBody).toList(),
                        "the newest " + CAP + " are kept, in order");
                assertTrue(all.isComplete());
                assertEquals(CAP, all.getPage().getMamFinIq().getRSMSet().getCount(), "XEP-0059 count");
            }
            List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
            for (String account : List.of("ann@localhost", "ben@localhost")) {
                assertTrue(lines.contains("archive cap: 3 oldest messages of " + account
                        + " deleted (limits.archive-messages-per-account = " + CAP + ")"), lines.toString());
            }
            assertEquals(CAP + 3, store.page(new ArchiveStore.Filter(room, null, null, null),
                    new ArchiveStore.Paging(null, null, true, 1)).count(), "a room's archive is not capped");

            // Nothing over the cap: the next run deletes nothing and the archive keeps answering.
            assertEquals(0, server.server().archiveHousekeeping().capAccounts());
            assertEquals(CAP, count(anns));
        } finally {
            logger.detachAppender(log);
            ann.disconnect();
            ben.disconnect();
        }
    }

    /** Before the housekeeping the archive holds everything sent (the recipient's copy is written as delivered). */
    private static void awaitCount(MamManager mam, int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int seen;
        while ((seen = count(mam)) != expected && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
        }
        assertEquals(expected, seen, "archived before the housekeeping");
    }

    /** The archive's XEP-0059 count, from the last page of a query over everything. */
    private static int count(MamManager mam) throws Exception {
        return mam.queryArchive(MamManager.MamQueryArgs.builder().setResultPageSizeTo(1).queryLastPage().build())
                .getPage().getMamFinIq().getRSMSet().getCount();
    }
}
