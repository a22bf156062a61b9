package org.parley.gateway.bosh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.gateway.testing.RawBosh;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.config.ServerSettings;

/** XEP-0124/XEP-0206 over raw HTTP: session rules, rid window, caching, limits, termination, CORS. */
class BoshProtocolTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withSettings(TestGateway.http(h -> new ServerSettings.Http(
            h.bindAddress(), h.port(), h.tlsPort(), h.allowedOrigins(),
            new ServerSettings.Bosh(Duration.ofSeconds(60), Duration.ofSeconds(2), Duration.ofSeconds(5)))),
            "alice", "bob", "idle", "watcher", "quitter");

    private RawBosh client() {
        return new RawBosh(gateway.boshUri());
    }

    private static final String PING = "<iq xmlns='jabber:client' type='get' id='%s' to='localhost'>"
            + "<ping xmlns='urn:xmpp:ping'/></iq>";

    @Test
    void sessionCreationResponseCarriesTheNegotiatedTermsAndFeatures() throws Exception {
        RawBosh bosh = client();
        long rid = bosh.rid();
        HttpResponse<String> response = bosh.post("<body rid='" + rid + "' to='localhost' xml:lang='en' ver='1.11'"
                + " wait='120' hold='5' ack='1' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='" + RawBosh.NS + "'/>");
        assertEquals(200, response.statusCode());
        assertEquals("text/xml; charset=utf-8", response.headers().firstValue("Content-Type").orElseThrow());
        String body = response.body();
        String sid = RawBosh.attribute(body, "sid");
        assertNotNull(sid, body);
        assertTrue(sid.length() >= 22, "at least 128 random bits: " + sid);
        assertEquals("60", RawBosh.attribute(body, "wait"), "lowered to http.bosh.max-wait");
        assertEquals("2", RawBosh.attribute(body, "hold"), "at most 2 held requests");
        assertEquals("3", RawBosh.attribute(body, "requests"), "hold + 1");
        assertEquals("2", RawBosh.attribute(body, "inactivity"));
        assertEquals("5", RawBosh.attribute(body, "maxpause"));
        assertNotNull(RawBosh.attribute(body, "polling"));
        assertEquals("1.11", RawBosh.attribute(body, "ver"));
        assertEquals("localhost", RawBosh.attribute(body, "from"));
        assertEquals("1.0", RawBosh.attribute(body, "xmpp:version"));
        assertEquals(String.valueOf(rid), RawBosh.attribute(body, "ack"), "acknowledgements on (§9)");
        assertNotNull(RawBosh.attribute(body, "authid"), body);
        assertTrue(body.contains("<stream:features xmlns:stream=\"http://etherx.jabber.org/streams\">"), body);
        assertTrue(body.contains("<mechanism>PLAIN</mechanism>"), "loopback counts as secure: " + body);
        assertFalse(body.contains("starttls"), "no STARTTLS inside HTTP: " + body);
        assertNotEquals(sid, RawBosh.attribute(client().create(5, 1, ""), "sid"), "every session its own sid");
    }

    @Test
    void requestForAnUnknownSessionIsItemNotFound() throws Exception {
        String body = client().post("<body rid='5' sid='no-such-session' xmlns='" + RawBosh.NS + "'/>").body();
        assertEquals("terminate", RawBosh.attribute(body, "type"));
        assertEquals("item-not-found", RawBosh.attribute(body, "condition"));
    }

    @Test
    void malformedRequestsAndWrongMethod() throws Exception {
        String body = client().post("hello").body();
        assertEquals("bad-request", RawBosh.attribute(body, "condition"), body);
        body = client().post("<iq xmlns='jabber:client'/>").body();
        assertEquals("bad-request", RawBosh.attribute(body, "condition"), body);
        body = client().post("<body rid='7' to='elsewhere.example' wait='5' hold='1' ver='1.11' xmlns='" + RawBosh.NS
                + "'/>").body();
        assertEquals("host-unknown", RawBosh.attribute(body, "condition"), body);
        HttpResponse<String> get = RawBosh.http().send(HttpRequest.newBuilder(gateway.boshUri()).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode());
        assertTrue(get.headers().firstValue("Allow").orElse("").contains("POST"));
    }

    @Test
    void repeatedRidGetsTheCachedResponseAgain() throws Exception {
        RawBosh bosh = client();
        bosh.create(5, 1, "");
        bosh.login("alice", "cache");
        long rid = bosh.rid();
        String request = bosh.body(rid, "", String.format(PING, "once"));
        String first = bosh.post(request).body();
        assertTrue(first.contains("id=\"once\""), first);
        String again = bosh.post(request).body();
        assertEquals(first, again, "§14.3: the buffered copy of the original response");
        bosh.skip();
        String next = bosh.next("", String.format(PING, "after"));
        assertTrue(next.contains("id=\"after\""), "the session goes on: " + next);
    }

    @Test
    void ridBeyondTheWindowTerminatesTheSession() throws Exception {
        RawBosh bosh = client();
        bosh.create(5, 1, "");
        String body = bosh.post(bosh.body(bosh.rid() + 2, "", "")).body();
        assertEquals("terminate", RawBosh.attribute(body, "type"));
        assertEquals("item-not-found", RawBosh.attribute(body, "condition"));
        body = bosh.post(bosh.body(bosh.rid(), "", "")).body();
        assertEquals("item-not-found", RawBosh.attribute(body, "condition"), "the session is gone: " + body);
    }

    @Test
    void ridTooOldToBeCachedTerminatesTheSession() throws Exception {
        RawBosh bosh = client();
        bosh.create(5, 1, "");
        bosh.login("alice", "old");
        String body = bosh.post(bosh.body(bosh.rid() - 4, "", "")).body();
        assertEquals("item-not-found", RawBosh.attribute(body, "condition"), body);
    }

    @Test
    void requestsArrivingOutOfOrderAreProcessedInRidOrder() throws Exception {
        RawBosh bosh = client();
        bosh.create(5, 1, "");
        bosh.login("alice", "order");
        long first = bosh.skip();
        CompletableFuture<HttpResponse<String>> second = bosh.nextAsync("", String.format(PING, "second"));
        // 'second' waits in the window until the gap before it fills (§14.2); nothing is answered yet.
        String answerToFirst = bosh.post(bosh.body(first, "", String.format(PING, "first"))).body();
        String answerToSecond = second.get(15, TimeUnit.SECONDS).body();
        String both = answerToFirst + answerToSecond;
        assertTrue(both.indexOf("id=\"first\"") >= 0 && both.indexOf("id=\"first\"") < both.indexOf("id=\"second\""),
                "processed in rid order: " + both);
    }

    @Test
    void requestWaitingForAGapThatNeverFillsEndsTheSessionAfterInactivity() throws Exception {
        RawBosh bosh = client();
        bosh.create(5, 1, "");
        bosh.skip(); // lost on the way
        CompletableFuture<HttpResponse<String>> early = bosh.nextAsync("", "");
        String body = early.get(15, TimeUnit.SECONDS).body(); // after two seconds of inactivity
        assertEquals("item-not-found", RawBosh.attribute(body, "condition"), body);
    }

    @Test
    void moreSimultaneousRequestsThanAllowedIsPolicyViolation() throws Exception {
        XMPPTCPConnection alice = gateway.server().login("alice", "listener");
        try {
            BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
            alice.addAsyncStanzaListener(s -> inbox.add((Message) s), s -> s instanceof Message);
            RawBosh bosh = client();
            bosh.create(30, 2, ""); // hold='2', requests='3'
            bosh.login("bob", "busy");
            // Two requests that produce nothing for bob stay held; alice receiving them shows they were processed.
            String note = "<message xmlns='jabber:client' to='alice@localhost/listener' type='chat'><body>%s</body></message>";
            CompletableFuture<HttpResponse<String>> first = bosh.nextAsync("", String.format(note, "one"));
            assertNotNull(inbox.poll(10, TimeUnit.SECONDS));
            CompletableFuture<HttpResponse<String>> second = bosh.nextAsync("", String.format(note, "two"));
            assertNotNull(inbox.poll(10, TimeUnit.SECONDS));
            // Two more, skipping a rid so that neither can be answered: four unanswered requests, one too many (§11).
            bosh.skip();
            CompletableFuture<HttpResponse<String>> third = bosh.nextAsync("", "");
            CompletableFuture<HttpResponse<String>> fourth = bosh.nextAsync("", "");
            for (CompletableFuture<HttpResponse<String>> request : java.util.List.of(first, second, third, fourth)) {
                String body = request.get(10, TimeUnit.SECONDS).body();
                assertEquals("policy-violation", RawBosh.attribute(body, "condition"), body);
            }
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void pollingFasterThanAllowedIsPolicyViolation() throws Exception {
        RawBosh bosh = client();
        bosh.create(5, 0, ""); // hold='0': a polling session (§12)
        assertNull(RawBosh.attribute(bosh.next("", ""), "condition"));
        String tooSoon = bosh.next("", "");
        assertEquals("policy-violation", RawBosh.attribute(tooSoon, "condition"), tooSoon);
    }

    @Test
    void acknowledgementsAndReportOfAMissingResponse() throws Exception {
        RawBosh bosh = client();
        String creation = bosh.create(1, 1, "ack='1'");
        assertEquals(String.valueOf(bosh.rid() - 1), RawBosh.attribute(creation, "ack"), "acknowledgements on (§9)");
        bosh.login("alice", "acks");
        long bound = bosh.rid() - 1;
        CompletableFuture<HttpResponse<String>> held = bosh.nextAsync("", "");
        // A message to someone offline produces nothing for alice: the request pushes the held one out, whose
        // answer acknowledges both (§9.1), and is itself answered empty when its one-second wait runs out.
        CompletableFuture<HttpResponse<String>> second = bosh.nextAsync("",
                "<message xmlns='jabber:client' to='bob@localhost' type='chat'><body>later</body></message>");
        String first = held.get(10, TimeUnit.SECONDS).body();
        assertEquals(String.valueOf(bound + 2), RawBosh.attribute(first, "ack"), first);
        second.get(10, TimeUnit.SECONDS);
        // Claim the response to bound + 1 never arrived: sent over a second ago, it is reported (§9.2).
        String report = bosh.next("ack='" + bound + "'", "");
        assertEquals(String.valueOf(bound + 1), RawBosh.attribute(report, "report"), report);
        assertTrue(Long.parseLong(RawBosh.attribute(report, "time")) >= 1000, report);
    }

    @Test
    void xep0124_9_2_withAcksStanzasWaitUntilTheClientHasTheEarlierResponseThatCarriedSome() throws Exception {
        // A client that handles responses concurrently (Smack's jbosh) would otherwise see "two" before "one".
        XMPPTCPConnection alice = gateway.server().login("alice", "sender");
        try {
            RawBosh bosh = client();
            bosh.create(30, 1, "ack='1'");
            bosh.login("bob", "ordered");
            long k = bosh.rid();
            CompletableFuture<HttpResponse<String>> first = bosh.nextAsync("", "");
            alice.sendStanza(chat("bob@localhost/ordered", "one"));
            assertTrue(first.get(10, TimeUnit.SECONDS).body().contains("<body>one</body>"), "'one' goes out at once");

            // The next request says the response to k has not arrived yet (ack = k - 1): "two" must wait for it.
            CompletableFuture<HttpResponse<String>> second = bosh.nextAsync("ack='" + (k - 1) + "'", "");
            alice.sendStanza(chat("bob@localhost/ordered", "two"));
            String early = second.get(10, TimeUnit.SECONDS).body();
            assertFalse(early.contains("two"), "answered at once, empty, so that the client reports again: " + early);

            // No 'ack' now: every earlier response has arrived (§9.2), so "two" goes out.
            String later = bosh.next("", "");
            assertTrue(later.contains("<body>two</body>"), later);
        } finally {
            alice.disconnect();
        }
    }

    @Test
    void xep0124_9_2_stanzasStillGoOutWhenTheClientNeverReportsALostResponse() throws Exception {
        XMPPTCPConnection alice = gateway.server().login("alice", "sender-2");
        try {
            RawBosh bosh = client();
            bosh.create(30, 1, "ack='1'");
            bosh.login("bob", "lossy");
            long k = bosh.rid();
            CompletableFuture<HttpResponse<String>> first = bosh.nextAsync("", "");
            alice.sendStanza(chat("bob@localhost/lossy", "lost"));
            assertTrue(first.get(10, TimeUnit.SECONDS).body().contains("<body>lost</body>"));
            alice.sendStanza(chat("bob@localhost/lossy", "after"));
            // The client keeps saying it lacks the response to k: the stanza waits a moment, then goes out anyway.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            String got = "";
            while (!got.contains("<body>after</body>")) {
                assertTrue(System.nanoTime() < deadline, "'after' never went out: " + got);
                got = bosh.next("ack='" + (k - 1) + "'", "");
            }
        } finally {
            alice.disconnect();
        }
    }

    private static Message chat(String to, String body) throws Exception {
        return org.jivesoftware.smack.packet.MessageBuilder.buildMessage()
                .to(org.jxmpp.jid.impl.JidCreate.from(to)).ofType(Message.Type.chat).setBody(body).build();
    }

    @Test
    void pauseAnswersHeldRequestsAndIsBoundedByMaxpause() throws Exception {
        RawBosh bosh = client();
        bosh.create(30, 1, "");
        CompletableFuture<HttpResponse<String>> held = bosh.nextAsync("", "");
        String pause = bosh.next("pause='3'", "");
        assertNull(RawBosh.attribute(pause, "condition"), pause);
        assertFalse(pause.contains("<iq"), "no payloads in the answer to a pause: " + pause);
        assertNull(RawBosh.attribute(held.get(5, TimeUnit.SECONDS).body(), "condition"), "answered at once");
        String tooLong = bosh.next("pause='600'", "");
        assertEquals("policy-violation", RawBosh.attribute(tooLong, "condition"), "beyond maxpause: " + tooLong);
    }

    @Test
    void terminateEndsTheSession() throws Exception {
        RawBosh bosh = client();
        bosh.create(5, 1, "");
        bosh.login("quitter", "bye");
        String sid = bosh.sid();
        String bye = bosh.next("type='terminate'", "<presence xmlns='jabber:client' type='unavailable'/>");
        assertEquals("terminate", RawBosh.attribute(bye, "type"), bye);
        assertNull(RawBosh.attribute(bye, "condition"), "a clean end: " + bye);
        String after = bosh.next("", "");
        assertEquals("item-not-found", RawBosh.attribute(after, "condition"), "session " + sid + " is gone: " + after);
    }

    @Test
    void inactivityEndsTheSessionAndContactsSeeTheUserLeave() throws Exception {
        gateway.befriend("idle", "watcher");
        XMPPTCPConnection watcher = gateway.server().login("watcher");
        try {
            BlockingQueue<Presence> seen = new LinkedBlockingQueue<>();
            watcher.addAsyncStanzaListener(s -> seen.add((Presence) s),
                    s -> s instanceof Presence p && p.getFrom() != null && p.getFrom().toString().startsWith("idle@"));
            watcher.sendStanza(watcher.getStanzaFactory().buildPresenceStanza().build());
            RawBosh bosh = client();
            bosh.create(1, 1, "");
            bosh.login("idle", "web");
            bosh.next("", "<presence xmlns='jabber:client'/>");
            Presence online = seen.poll(10, TimeUnit.SECONDS);
            assertNotNull(online, "the watcher sees idle come online");
            assertEquals(Presence.Type.available, online.getType());
            // No more requests: after two seconds of inactivity the session ends (§10), like a dropped TCP connection.
            Presence offline = seen.poll(15, TimeUnit.SECONDS);
            assertNotNull(offline, "the watcher sees idle leave");
            assertEquals(Presence.Type.unavailable, offline.getType());
            String late = bosh.next("", "");
            assertEquals("item-not-found", RawBosh.attribute(late, "condition"), late);
        } finally {
            watcher.disconnect();
        }
    }

    @Test
    void restrictedXmlInAPayloadIsAStreamErrorLikeOnTcp() throws Exception {
        RawBosh bosh = client();
        bosh.create(5, 1, "");
        String body = bosh.next("", "<!-- no comments in XMPP -->");
        assertEquals("terminate", RawBosh.attribute(body, "type"), body);
        assertEquals("remote-stream-error", RawBosh.attribute(body, "condition"), body);
        assertTrue(body.contains("<restricted-xml></restricted-xml>"), body);
    }

    @Test
    void stanzaOverThePreAuthenticationLimitIsPolicyViolation() throws Exception {
        RawBosh bosh = client();
        bosh.create(5, 1, "");
        String big = "<iq xmlns='jabber:client' type='get' id='big'><query xmlns='jabber:iq:version'>"
                + "x".repeat(20 * 1024) + "</query></iq>";
        String body = bosh.next("", big);
        assertEquals("remote-stream-error", RawBosh.attribute(body, "condition"), body);
        assertTrue(body.contains("<policy-violation"), body);
    }

    @Test
    void corsPreflightAndOrigins() throws Exception {
        HttpResponse<String> preflight = RawBosh.http().send(HttpRequest.newBuilder(gateway.boshUri())
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "http://localhost:3000")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(204, preflight.statusCode());
        assertEquals("http://localhost:3000", preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        assertTrue(preflight.headers().firstValue("Access-Control-Allow-Methods").orElse("").contains("POST"));
        assertTrue(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Content-Type"));

        HttpResponse<String> forbidden = RawBosh.http().send(HttpRequest.newBuilder(gateway.boshUri())
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, forbidden.statusCode());
        assertTrue(forbidden.headers().firstValue("Access-Control-Allow-Origin").isEmpty());

        String self = "http://localhost:" + gateway.gateway().httpPort();
        HttpResponse<String> post = RawBosh.http().send(RawBosh.request(gateway.boshUri(),
                "<body rid='9' to='localhost' wait='1' hold='1' ver='1.11' xmlns='" + RawBosh.NS + "'/>")
                .header("Origin", self).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, post.statusCode());
        assertEquals(self, post.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        assertTrue(post.headers().allValues("Vary").toString().contains("Origin"));

        HttpResponse<String> foreign = RawBosh.http().send(RawBosh.request(gateway.boshUri(),
                "<body rid='9' to='localhost' wait='1' hold='1' ver='1.11' xmlns='" + RawBosh.NS + "'/>")
                .header("Origin", "https://evil.example").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, foreign.statusCode());
    }
}
