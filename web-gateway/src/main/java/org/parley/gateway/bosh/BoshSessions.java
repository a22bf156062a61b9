package org.parley.gateway.bosh;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;

import org.eclipse.jetty.http.HttpStatus;
import org.parley.server.ParleyServer;
import org.parley.server.config.ServerSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BOSH connection manager (XEP-0124, XEP-0206): creates sessions, finds them by sid, and owns what they
 * share: the server, the limits, and one timer thread for every session's waits and inactivity (no thread
 * per session or per waiting request).
 */
public final class BoshSessions {

    private static final Logger LOG = LoggerFactory.getLogger(BoshSessions.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** At most this many requests are held per session ('hold'); the client may ask for fewer. */
    static final int MAX_HOLD = 2;
    /** Shortest allowed interval between empty polls, seconds ('polling'). */
    static final int POLLING_SECONDS = 2;
    /** A response is reported missing (XEP-0124 §9.2) once it was sent this long ago and still unacknowledged. */
    static final Duration REPORT_AFTER = Duration.ofSeconds(1);

    final ParleyServer server;
    final String domain;
    final ServerSettings.Bosh settings;
    final ScheduledExecutorService timers;
    private final int preAuthStanzaBytes;
    private final Map<String, BoshSession> sessions = new ConcurrentHashMap<>();

    public BoshSessions(ParleyServer server, ServerSettings settings, ScheduledExecutorService timers) {
        this.server = server;
        this.domain = settings.domain();
        this.settings = settings.http().bosh();
        this.timers = timers;
        this.preAuthStanzaBytes = settings.limits().preAuthStanzaBytes();
    }

    /** Routes a parsed request to its session, or creates one for a request without sid. */
    void handle(BoshBody body, Exchange exchange) {
        String sid = body.sid();
        if (sid == null) {
            create(body, exchange);
            return;
        }
        BoshSession session = sessions.get(sid);
        if (session == null) {
            LOG.debug("BOSH request from {} for unknown session", exchange.remoteAddress());
            exchange.terminate("item-not-found");
            return;
        }
        session.accept(body, exchange);
    }

    /** The stanza size limit for a request to {@code sid}: its stream's, or the pre-authentication one. */
    int stanzaLimitFor(String sid) {
        BoshSession session = sid == null ? null : sessions.get(sid);
        return session == null ? preAuthStanzaBytes : session.stanzaLimit();
    }

    /** XEP-0124 §7.1-7.2 and XEP-0206 §4: the session creation request. */
    private void create(BoshBody body, Exchange exchange) {
        boolean legacy = body.attribute("ver") == null;
        Long rid = body.rid();
        Integer wait = seconds(body.attribute("wait"), (int) settings.maxWait().toSeconds());
        Integer hold = seconds(body.attribute("hold"), 1);
        String content = body.attribute("content");
        if (rid == null || wait == null || hold == null || content != null && !content.matches("[\\w.+\\-/]+(; ?[\\w\\-]+=[\\w.\\-]+)*")) {
            refuse(exchange, legacy, "bad-request", "session creation request with missing or malformed rid, wait, hold or content");
            return;
        }
        String to = body.attribute("to");
        if (to != null && !to.equalsIgnoreCase(domain)) {
            refuse(exchange, legacy, "host-unknown", "this server serves " + domain);
            return;
        }
        Map<String, String> stream = new HashMap<>();
        stream.put("to", domain);
        if (body.attribute("version") != null) {
            stream.put("version", body.attribute("version"));
        }
        if (body.attribute("lang") != null) {
            stream.put("lang", body.attribute("lang"));
        }
        int negotiatedHold = Math.min(hold, MAX_HOLD);
        BoshSession.Terms terms = new BoshSession.Terms(rid,
                Math.min(wait, (int) settings.maxWait().toSeconds()), negotiatedHold, negotiatedHold + 1,
                "1".equals(body.attribute("ack")), legacy, lowerVersion(body.attribute("ver")),
                content == null ? Exchange.DEFAULT_CONTENT_TYPE : content, exchange.isTls(), Map.copyOf(stream));
        String sid = newSid();
        BoshSession session = new BoshSession(this, sid, terms, exchange.isProtected(), exchange.remoteAddress());
        session.attach(server.openStream(session));
        sessions.put(sid, session);
        LOG.debug("BOSH session created for {} (wait {}s, hold {})", exchange.remoteAddress(), terms.waitSeconds(), terms.hold());
        session.accept(body, exchange);
    }

    private static void refuse(Exchange exchange, boolean legacy, String condition, String why) {
        LOG.debug("BOSH session refused for {}: {}", exchange.remoteAddress(), why);
        if (legacy && condition.equals("bad-request")) {
            exchange.fail(HttpStatus.BAD_REQUEST_400, why);
        } else {
            exchange.terminate(condition);
        }
    }

    /** A non-negative number of seconds (or a count); {@code absent} when missing; null when malformed. */
    private static Integer seconds(String text, int absent) {
        if (text == null) {
            return absent;
        }
        Long value = BoshBody.unsignedLong(text);
        return value == null ? null : (int) Math.min(value, Integer.MAX_VALUE);
    }

    /** The BOSH version to answer: ours (1.11) or the client's if lower (XEP-0124 §7.2). */
    private static String lowerVersion(String client) {
        if (client == null || !client.matches("\\d{1,4}\\.\\d{1,4}")) {
            return BoshSession.VERSION;
        }
        String[] c = client.split("\\.");
        String[] ours = BoshSession.VERSION.split("\\.");
        int major = Integer.parseInt(c[0]);
        int minor = Integer.parseInt(c[1]);
        int ourMajor = Integer.parseInt(ours[0]);
        int ourMinor = Integer.parseInt(ours[1]);
        return major < ourMajor || major == ourMajor && minor < ourMinor ? major + "." + minor : BoshSession.VERSION;
    }

    /** 144 random bits, URL-safe: unguessable (XEP-0124 §7.2). */
    private static String newSid() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    void remove(BoshSession session) {
        sessions.remove(session.sid, session);
    }

    /** Live sessions. */
    public int size() {
        return sessions.size();
    }

    /** Requests being held across all sessions (for measurements and tests). */
    public int heldRequests() {
        int held = 0;
        for (BoshSession session : sessions.values()) {
            held += session.heldRequests();
        }
        return held;
    }

    /** The gateway stops: every remaining session ends with system-shutdown. */
    public void shutdown() {
        for (BoshSession session : List.copyOf(sessions.values())) {
            session.terminate("system-shutdown");
        }
    }
}
