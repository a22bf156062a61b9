package org.parley.server.muc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * XEP-0045 §7.6 under concurrency: one occupant changes its nickname again and again (with a presence
 * update after each change) while the others talk and update their own presence. Every occupant, the
 * changer included, must see for each change exactly: unavailable from the old nickname with status 303
 * and the new nickname, then available from the new one, and never anything from an old nickname again.
 * Raw transcripts, so the order checked is the order on the wire (no client library in between).
 *
 * <p>The CI test is one short run; {@code -Dparley.stress=true} adds the 50-run evidence
 * ({@code -Dtest=NickChangeOrderTest -Dparley.stress=true}).
 */
class NickChangeOrderTest {

    private static final String ROOM_DOMAIN = "conference.localhost";
    private static final int TALKERS = 3;
    private static final Pattern PRESENCE = Pattern.compile("<presence\\b[^>]*?(?:/>|>.*?</presence>)", Pattern.DOTALL);
    private static final AtomicInteger RUNS = new AtomicInteger();

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("changer", "talker0", "talker1", "talker2");

    @Test
    void xep0045_7_6_everyOccupantSeesEachNickChangeInOrderWhileOthersTalk() throws Exception {
        run(12, 15);
    }

    @RepeatedTest(50)
    @EnabledIfSystemProperty(named = "parley.stress", matches = "true")
    void xep0045_7_6_underLoad(/* 50 runs: the evidence that the order holds every time */) throws Exception {
        run(25, 25);
    }

    private void run(int changes, int messagesPerTalker) throws Exception {
        int runId = RUNS.incrementAndGet();
        String room = "race-" + runId + "@" + ROOM_DOMAIN;
        String startMark = "start-of-run-" + runId;
        String endMark = "end-of-run-" + runId;
        List<String> nicks = new ArrayList<>();
        for (int i = 0; i <= changes; i++) {
            nicks.add("ch-" + runId + "-" + i);
        }
        ExecutorService threads = Executors.newCachedThreadPool();
        List<RawClient> clients = new ArrayList<>();
        try {
            RawClient changer = RawClient.loggedIn(server, "changer");
            clients.add(changer);
            // No <x/>: an instant room, open at once (XEP-0045 §10.1.2).
            changer.send("<presence to='" + room + "/" + nicks.get(0) + "'/>").await("code=\"110\"");
            List<RawClient> talkers = new ArrayList<>();
            for (int t = 0; t < TALKERS; t++) {
                RawClient talker = RawClient.loggedIn(server, "talker" + t);
                talker.send("<presence to='" + room + "/t" + t + "'><x xmlns='http://jabber.org/protocol/muc'>"
                        + "<history maxstanzas='0'/></x></presence>").await("code=\"110\"");
                talkers.add(talker);
                clients.add(talker);
            }
            changer.send("<message to='" + room + "' type='groupchat'><body>" + startMark + "</body></message>");
            for (RawClient c : clients) {
                c.await(startMark); // nobody writes before everyone has the start mark
            }

            // Everyone reads, on its own thread while the others write, until it has every writer's end mark:
            // the room keeps each sender's order, so all of that sender's events come before its mark.
            List<Future<String>> transcripts = new ArrayList<>();
            for (RawClient c : clients) {
                transcripts.add(threads.submit(() -> {
                    for (int w = 0; w <= TALKERS; w++) {
                        c.await(">" + endMark + "-" + w + "<", Duration.ofSeconds(60));
                    }
                    return c.received();
                }));
            }
            List<Future<?>> writers = new ArrayList<>();
            writers.add(threads.submit(() -> {
                for (int i = 1; i <= changes; i++) {
                    changer.send("<presence to='" + room + "/" + nicks.get(i) + "'/>");
                    changer.send("<presence to='" + room + "/" + nicks.get(i) + "'><status>u" + i + "</status></presence>");
                }
                changer.send("<message to='" + room + "' type='groupchat'><body>" + endMark + "-0</body></message>");
                return null;
            }));
            for (int t = 0; t < TALKERS; t++) {
                RawClient talker = talkers.get(t);
                int n = t;
                writers.add(threads.submit(() -> {
                    for (int m = 0; m < messagesPerTalker; m++) {
                        talker.send("<message to='" + room + "' type='groupchat'><body>t" + n + "-" + m + "</body></message>");
                        if (m % 3 == 0) {
                            talker.send("<presence to='" + room + "/t" + n + "'><status>s" + m + "</status></presence>");
                        }
                    }
                    talker.send("<message to='" + room + "' type='groupchat'><body>" + endMark + "-" + (n + 1)
                            + "</body></message>");
                    return null;
                }));
            }
            for (Future<?> w : writers) {
                w.get(60, TimeUnit.SECONDS);
            }
            List<String> names = new ArrayList<>();
            names.add("changer");
            for (int t = 0; t < TALKERS; t++) {
                names.add("talker" + t);
            }
            for (int i = 0; i < clients.size(); i++) {
                String all = transcripts.get(i).get(90, TimeUnit.SECONDS);
                String run = all.substring(all.indexOf(startMark));
                check(names.get(i), i == 0, room, nicks, run, messagesPerTalker);
            }
        } finally {
            for (RawClient c : clients) {
                c.close();
            }
            threads.shutdownNow();
        }
    }

    /** The changer's presences in one occupant's transcript follow §7.6 for every change, and nothing else. */
    private static void check(String who, boolean self, String room, List<String> nicks, String transcript,
                              int messagesPerTalker) {
        int current = 0;
        boolean awaitingNew = false;
        int seen = 0;
        Matcher m = PRESENCE.matcher(transcript);
        while (m.find()) {
            String p = m.group();
            String from = attribute(p, "from");
            if (from == null || !from.startsWith(room + "/ch-")) {
                continue;
            }
            String nick = from.substring(room.length() + 1);
            seen++;
            String context = who + " saw, as changer presence #" + seen + ": " + p;
            boolean unavailable = "unavailable".equals(attribute(p, "type"));
            assertTrue(!self || p.contains("code=\"110\""), "§7.6: the changer's own presences carry 110: " + context);
            if (awaitingNew) {
                assertTrue(!unavailable && nick.equals(nicks.get(current + 1)),
                        "§7.6: after the 303, the next presence is 'available' from " + nicks.get(current + 1) + "; "
                                + context);
                current++;
                awaitingNew = false;
            } else if (unavailable) {
                assertTrue(nick.equals(nicks.get(current)) && current + 1 < nicks.size(),
                        "§7.6: 'unavailable' only from the current nickname " + nicks.get(current) + "; " + context);
                assertTrue(p.contains("code=\"303\"") && p.contains("nick=\"" + nicks.get(current + 1) + "\""),
                        "§7.6: the 'unavailable' carries 303 and the new nickname " + nicks.get(current + 1) + "; "
                                + context);
                awaitingNew = true;
            } else {
                assertEquals(nicks.get(current), nick, "nothing from an old (or not yet taken) nickname; " + context);
            }
        }
        int changes = nicks.size() - 1;
        assertEquals(changes, current, who + " saw every change, last nickname " + nicks.get(changes));
        assertEquals(3 * changes, seen, who + ": per change one unavailable, one available and one status update, "
                + "nothing twice");
        for (int t = 0; t < TALKERS; t++) {
            assertTrue(transcript.contains(">t" + t + "-" + (messagesPerTalker - 1) + "</body>"),
                    who + " heard talker" + t + "'s last message");
        }
    }

    private static String attribute(String element, String name) {
        Matcher m = Pattern.compile("\\s" + name + "=\"([^\"]*)\"").matcher(element.substring(0, element.indexOf('>')));
        return m.find() ? m.group(1) : null;
    }
}
