package org.parley.gateway.bosh;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.apache.vysper.xmpp.stanza.Stanza;
import org.eclipse.jetty.http.HttpStatus;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.parser.StreamErrorException;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.session.StreamFraming;
import org.parley.server.session.StreamTransport;
import org.parley.server.stream.XmppStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One BOSH session (XEP-0124) carrying one XMPP stream (XEP-0206).
 *
 * <p><b>Requests in order.</b> Requests are processed strictly in 'rid' order: {@code nextRid} is the next one
 * to process; a request within the window ({@code nextRid} to {@code nextRid + requests - 1}) that arrives early
 * waits in {@code early} until the gap before it fills (§14.2). A rid already processed is a retransmission: a
 * request still held takes over the new HTTP exchange, an answered one gets the cached copy of its response
 * (the last 'requests' responses are kept, fewer once the client acknowledges them, §14.3); anything else, and a
 * rid beyond the window, terminates the session with {@code item-not-found}.
 *
 * <p><b>Holding.</b> A processed request is held, asynchronously (its Jetty callback completes later; no thread
 * waits), until the stream has something to send, its 'wait' runs out, or more than 'hold' requests are held;
 * responses always go to the oldest held request first, so they leave in rid order. Payloads go to the stream's
 * serial executor in rid order, so the stream sees exactly what a TCP client would have sent.
 *
 * <p><b>Stanzas in order.</b> Responses are written in rid order, but they travel on different HTTP
 * connections, and a client may handle them concurrently (Smack's jbosh does, on one thread per allowed
 * request). So when the client reports what it has received (XEP-0124 §9.2: {@code ack='1'} at creation; then a
 * request's 'ack', or its absence meaning "everything before this request"), a response carries stanzas only
 * once the client has every earlier response that carried some. Until then the held request is answered empty
 * at once, so that the client's next request brings the report, and the stanzas wait in {@code outbound}.
 * Without acks there is nothing to go by, and stanzas go out at once.
 *
 * <p><b>Rules.</b> More simultaneous requests than 'requests' (one more for pause or terminate), or empty polls
 * faster than 'polling', terminate with {@code policy-violation} (§11, §12). A session with no request held
 * for 'inactivity' (or the requested pause, §10) ends as if its TCP connection dropped.
 *
 * <p><b>Output.</b> The stream's stanzas collect in {@code outbound} and leave in the next response. The stream
 * header becomes the session-creation response's attributes; a stream error or close becomes a
 * {@code type='terminate'} response ({@code remote-stream-error} with the error inside).
 *
 * <p>State is guarded by this object's lock. Responses are written (asynchronously, never blocking) while it is
 * held, so that they leave in rid order even when different threads produce them.
 */
final class BoshSession implements StreamTransport {

    static final String VERSION = "1.11";
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] END_BODY = "</body>".getBytes(StandardCharsets.US_ASCII);
    private static final Logger LOG = LoggerFactory.getLogger(BoshSession.class);
    private static final String NS_XBOSH = "urn:xmpp:xbosh";
    /** Output above limits.send-buffer with no request for this long: the client stopped polling. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Output this many times limits.send-buffer ends the session at once. */
    private static final int HARD_FACTOR = 16;

    /**
     * What the session creation negotiated.
     *
     * @param firstRid    the creation request's rid
     * @param waitSeconds seconds a request may be held
     * @param hold        requests held at most at once
     * @param requests    simultaneous requests allowed (hold + 1)
     * @param acks        the client uses acknowledgements (XEP-0124 §9)
     * @param legacy      the client sent no 'ver': binding errors become HTTP errors (§17.1)
     * @param version     BOSH version answered
     * @param contentType of every response ('content')
     * @param tls         created over HTTPS: later requests must be too (§15)
     * @param stream      'to', 'version' (xmpp:version) and 'lang' of the XMPP stream
     */
    record Terms(long firstRid, int waitSeconds, int hold, int requests, boolean acks, boolean legacy, String version,
                 String contentType, boolean tls, Map<String, String> stream) {
    }

    private final BoshSessions owner;
    final String sid;
    private final Terms terms;
    private final boolean secure;
    private final String remoteAddress;
    private final StreamFraming framing = new BodyFraming();
    private volatile XmppStream stream;

    // ---- guarded by this ----
    private long nextRid;
    private final TreeMap<Long, Pending> early = new TreeMap<>();
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private final LinkedHashMap<Long, Sent> sent = new LinkedHashMap<>();
    /**
     * The stream's output waiting for a response, as UTF-8: stanzas arrive rendered once (issue 18) and are
     * copied into the response body as they are, never decoded; limits.send-buffer counts these bytes.
     */
    private byte[] outbound = EMPTY;
    private int outboundLength;
    private boolean flushQueued;
    private boolean creationAnswered;
    private String authid;
    private boolean streamErrorWritten;
    /** The stream ended while no request was held: the terminate response waits for the next request. */
    private byte[] finalBody;
    private boolean gone;
    private ScheduledFuture<?> idleTimer;
    private Duration pause;
    private long lastRequestAt;
    /** When the output now waiting began to wait (issue 17: bounded by limits.send-buffer). */
    private long outboundSince;
    private boolean overflowCheck;
    private boolean lastRequestEmpty;
    private boolean lastResponseEmpty;
    private long lastAnsweredRid;
    /** The last response that carried stanzas (or the creation response's features). */
    private long lastPayloadRid;
    /** With acks: the client has received the responses to every rid up to this one (§9.2). */
    private long receivedByClient;
    /** When stanzas first waited for the client's report of {@code lastPayloadRid} (0: not waiting). */
    private long waitingForReportSince;

    BoshSession(BoshSessions owner, String sid, Terms terms, boolean secure, String remoteAddress) {
        this.owner = owner;
        this.sid = sid;
        this.terms = terms;
        this.secure = secure;
        this.remoteAddress = remoteAddress;
        this.nextRid = terms.firstRid();
        this.lastAnsweredRid = terms.firstRid() - 1;
        this.lastPayloadRid = terms.firstRid() - 1;
        this.receivedByClient = terms.firstRid() - 1;
    }

    void attach(XmppStream xmppStream) {
        this.stream = xmppStream;
    }

    int stanzaLimit() {
        return stream.stanzaLimit();
    }

    synchronized int heldRequests() {
        return held.size();
    }

    // ---- requests ----

    /** A request for this session arrived (on a Jetty thread). */
    void accept(BoshBody body, Exchange exchange) {
        List<Runnable> replies = new ArrayList<>();
        synchronized (this) {
            if (gone) {
                replies.add(() -> exchange.terminate("item-not-found"));
            } else if (terms.tls() && !exchange.isTls() || secure && !exchange.isProtected()) {
                // XEP-0124 §15: a secure session's requests must all be secure; refuse without ending it.
                replies.add(() -> exchange.fail(HttpStatus.FORBIDDEN_403,
                        "this BOSH session was created over a secure connection"));
            } else {
                receive(body, exchange, replies);
                afterChange();
            }
            replies.forEach(Runnable::run);
        }
    }

    private void receive(BoshBody body, Exchange exchange, List<Runnable> replies) {
        cancelIdleTimer();
        pause = null; // a pause lasts until the next request (§10)
        Long rid = body.rid();
        if (rid == null) {
            terminate("bad-request", exchange, replies, "request without a valid rid");
            return;
        }
        if (finalBody != null) {
            byte[] last = finalBody;
            replies.add(() -> exchange.answer(terms.contentType(), last));
            leave();
            return;
        }
        if (rid < nextRid) {
            retransmitted(rid, exchange, replies);
            return;
        }
        if (rid >= nextRid + terms.requests()) {
            terminate("item-not-found", exchange, replies, "rid " + rid + " is beyond the window");
            return;
        }
        Pending duplicate = early.get(rid);
        if (duplicate != null) {
            Exchange old = duplicate.exchange;
            duplicate.exchange = exchange;
            replies.add(() -> old.answer(terms.contentType(), emptyBody()));
            return;
        }
        boolean pauseOrTerminate = body.pause() != null || body.isTerminate();
        int outstanding = held.size() + early.size();
        if (outstanding + 1 > terms.requests() + (pauseOrTerminate ? 1 : 0)) {
            terminate("policy-violation", exchange, replies, "more than " + terms.requests() + " simultaneous requests");
            return;
        }
        long now = System.nanoTime();
        boolean soon = lastRequestAt != 0 && now - lastRequestAt < TimeUnit.SECONDS.toNanos(BoshSessions.POLLING_SECONDS);
        boolean tooFrequent = terms.hold() == 0
                ? soon && body.isEmpty() && lastRequestEmpty && lastResponseEmpty      // §12, polling sessions
                : soon && body.isEmpty() && !pauseOrTerminate && outstanding + 1 == terms.requests()
                        && early.isEmpty() && rid == nextRid;                                   // §11, in order
        if (tooFrequent) {
            terminate("policy-violation", exchange, replies, "empty requests more often than every "
                    + BoshSessions.POLLING_SECONDS + "s");
            return;
        }
        lastRequestAt = now;
        lastRequestEmpty = body.isEmpty() && rid != terms.firstRid(); // the creation request is no poll
        early.put(rid, new Pending(body, exchange));
        while (!gone && !early.isEmpty() && early.firstKey() == nextRid) {
            process(early.pollFirstEntry().getValue(), replies);
        }
        if (!gone && outboundLength > 0 && !held.isEmpty()) {
            answerOldest(replies);
        }
    }

    /** §14.3: the client sent a rid again, most likely because the connection carrying the answer broke. */
    private void retransmitted(long rid, Exchange exchange, List<Runnable> replies) {
        for (Held h : held) {
            if (h.rid == rid) {
                Exchange old = h.exchange;
                h.exchange = exchange;
                replies.add(() -> old.answer(terms.contentType(), emptyBody()));
                return;
            }
        }
        Sent copy = sent.get(rid);
        if (copy != null) {
            replies.add(() -> exchange.answer(terms.contentType(), copy.body));
            return;
        }
        terminate("item-not-found", exchange, replies, "rid " + rid + " was answered and is no longer kept");
    }

    /** Processes the request with rid {@code nextRid}. */
    private void process(Pending request, List<Runnable> replies) {
        long rid = nextRid++;
        BoshBody body = request.body;
        if (terms.acks() && rid != terms.firstRid()) {
            // §9.2: 'ack' is the highest rid whose response arrived with all before it; no 'ack' means all did.
            receivedByClient = Math.max(receivedByClient, body.ack() != null ? body.ack() : rid - 1);
        }
        Exchange exchange = request.exchange;
        String report = acknowledged(body);
        Integer pauseSeconds = body.pause();
        if (pauseSeconds != null) {
            if (pauseSeconds < 0 || pauseSeconds > owner.settings.maxPause().toSeconds()) {
                terminate("policy-violation", exchange, replies, "pause longer than maxpause");
                return;
            }
            // §10: answer everything held at once, the pause request itself without payloads.
            pause = Duration.ofSeconds(pauseSeconds);
            while (!held.isEmpty()) {
                answerOldest(replies);
            }
            byte[] empty = body(rid, EMPTY, null);
            lastAnsweredRid = Math.max(lastAnsweredRid, rid);
            replies.add(() -> exchange.answer(terms.contentType(), empty));
            deliver(body, null, false);
            return;
        }
        Held h = new Held(rid, exchange);
        held.addLast(h);
        if (rid == terms.firstRid()) {
            deliver(body, terms.stream(), false);
        } else if (body.isRestart()) {
            Map<String, String> open = new HashMap<>(terms.stream());
            for (String key : List.of("to", "lang", "version")) {
                if (body.attribute(key) != null) {
                    open.put(key, body.attribute(key));
                }
            }
            deliver(body, open, body.isTerminate());
        } else {
            deliver(body, null, body.isTerminate());
        }
        if (report != null) {
            while (held.peekFirst() != h) {
                answerOldest(replies);
            }
            held.pollFirst();
            answer(h, EMPTY, report, replies);
            return;
        }
        h.timer = owner.timers.schedule(() -> waitExpired(h), terms.waitSeconds(), TimeUnit.SECONDS);
        if (body.isTerminate() || rid == terms.firstRid()) {
            // §13: the answer to a terminate request is the terminate response, once the stream has closed;
            // XEP-0206 §4: the creation response carries the stream features, which come at once.
            while (held.peekFirst() != h) {
                answerOldest(replies);
            }
            return;
        }
        while (held.size() > terms.hold()) {
            // The older request is released empty; what is waiting goes in the newest one, at once. So only one
            // response in flight ever carries stanzas, and a client that handles its HTTP responses in arrival
            // order rather than rid order (XEP-0124 §9.1 asks for rid order) still sees them in order.
            answer(held.pollFirst(), EMPTY, null, replies);
        }
        if (outboundLength > 0 && !held.isEmpty() && !flushQueued) {
            flushQueued = true;
            execute(this::flush);
        }
    }

    /**
     * §9.2: the client's 'ack' frees the cached responses up to it; when it shows that an answered response
     * never arrived (and was sent a while ago), the response to this request reports it.
     */
    private String acknowledged(BoshBody body) {
        Long ack = body.ack();
        if (!terms.acks() || ack == null) {
            return null;
        }
        sent.keySet().removeIf(rid -> rid <= ack);
        if (ack >= lastAnsweredRid) {
            return null;
        }
        Sent missing = sent.get(ack + 1);
        long age = missing == null ? 0 : System.nanoTime() - missing.at;
        if (missing == null || age < BoshSessions.REPORT_AFTER.toNanos()) {
            return null;
        }
        return " report='" + (ack + 1) + "' time='" + TimeUnit.NANOSECONDS.toMillis(age) + "'";
    }

    /** Hands a request's content to the stream, in rid order, on its executor. */
    private void deliver(BoshBody body, Map<String, String> open, boolean close) {
        List<Stanza> payloads = body.payloads();
        StreamErrorException error = body.payloadError();
        if (open == null && !close && payloads.isEmpty() && error == null) {
            return;
        }
        XmppStream s = stream;
        execute(() -> s.deliver(listener -> {
            if (open != null) {
                listener.streamOpened(open);
            }
            for (Stanza payload : payloads) {
                listener.element(payload);
            }
            if (error != null) {
                throw error;
            }
            if (close) {
                listener.streamClosed();
            }
        }));
    }

    private void waitExpired(Held h) {
        List<Runnable> replies = new ArrayList<>();
        synchronized (this) {
            if (gone || !held.contains(h)) {
                return;
            }
            while (!held.isEmpty() && held.peekFirst().rid <= h.rid) {
                answerOldest(replies);
            }
            afterChange();
            replies.forEach(Runnable::run);
        }
    }

    /**
     * Whether stanzas must wait because the client has not yet reported an earlier response that carried some.
     * Bounded in time: if that response was lost, the client's reports never reach it (and its cached copy may be
     * gone), so after {@link BoshSessions#REPORT_AFTER} the stanzas go out anyway rather than wait forever.
     */
    private boolean stanzasWaitForReport() {
        if (!terms.acks() || receivedByClient >= lastPayloadRid) {
            waitingForReportSince = 0;
            return false;
        }
        long now = System.nanoTime();
        if (waitingForReportSince == 0) {
            waitingForReportSince = now;
        }
        return now - waitingForReportSince < BoshSessions.REPORT_AFTER.toNanos();
    }

    /** Answers the oldest held request with everything waiting to go out. */
    private void answerOldest(List<Runnable> replies) {
        Held h = held.pollFirst();
        if (stanzasWaitForReport()) {
            answer(h, EMPTY, null, replies); // the stanzas wait for the client's report (see above)
            return;
        }
        answer(h, takeOutbound(), null, replies);
    }

    private void answer(Held h, byte[] payload, String extraAttributes, List<Runnable> replies) {
        if (h.timer != null) {
            h.timer.cancel(false);
        }
        byte[] response = body(h.rid, payload, extraAttributes);
        sent.put(h.rid, new Sent(response, System.nanoTime()));
        Iterator<Long> eldest = sent.keySet().iterator();
        while (sent.size() > terms.requests() && eldest.hasNext()) {
            eldest.next();
            eldest.remove();
        }
        lastAnsweredRid = Math.max(lastAnsweredRid, h.rid);
        lastResponseEmpty = payload.length == 0;
        if (payload.length > 0 || h.rid == terms.firstRid()) {
            lastPayloadRid = Math.max(lastPayloadRid, h.rid);
        }
        Exchange exchange = h.exchange;
        replies.add(() -> exchange.answer(terms.contentType(), response));
    }

    /** The {@code <body/>} of a response to {@code rid}. */
    private byte[] body(long rid, byte[] payload, String extraAttributes) {
        StringBuilder b = new StringBuilder("<body xmlns='").append(BoshBody.NS_HTTPBIND).append('\'');
        if (rid == terms.firstRid() && !creationAnswered) {
            creationAnswered = true;
            b.append(" sid='").append(sid).append("' wait='").append(terms.waitSeconds())
                    .append("' requests='").append(terms.requests()).append("' hold='").append(terms.hold())
                    .append("' polling='").append(BoshSessions.POLLING_SECONDS)
                    .append("' inactivity='").append(owner.settings.inactivity().toSeconds())
                    .append("' maxpause='").append(owner.settings.maxPause().toSeconds())
                    .append("' ver='").append(terms.version()).append("' from='").append(owner.domain)
                    .append("' secure='true' xmlns:xmpp='").append(NS_XBOSH)
                    .append("' xmpp:version='1.0' xmpp:restartlogic='true'");
            if (authid != null) {
                b.append(" authid='").append(authid).append('\'');
            }
            if (terms.acks()) {
                b.append(" ack='").append(rid).append('\'');
            }
        } else if (terms.acks() && nextRid - 1 != rid) {
            // §9.1: the highest rid received with all before it
            b.append(" ack='").append(nextRid - 1).append('\'');
        }
        if (extraAttributes != null) {
            b.append(extraAttributes);
        }
        return wrap(b, payload);
    }

    /**
     * {@code start} (a {@code <body} start tag without its end) closed around {@code payload} as UTF-8: the
     * attributes are the binding's own (numbers, ids, the domain), the payload the stream's bytes as they are.
     */
    private static byte[] wrap(StringBuilder start, byte[] payload) {
        if (payload.length == 0) {
            return start.append("/>").toString().getBytes(StandardCharsets.UTF_8);
        }
        byte[] head = start.append('>').toString().getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(head, head.length + payload.length + END_BODY.length);
        System.arraycopy(payload, 0, out, head.length, payload.length);
        System.arraycopy(END_BODY, 0, out, head.length + payload.length, END_BODY.length);
        return out;
    }

    /** What waits to go out, taken (the buffer is emptied). */
    private byte[] takeOutbound() {
        byte[] payload = outboundLength == outbound.length ? outbound : Arrays.copyOf(outbound, outboundLength);
        outboundLength = 0;
        outbound = EMPTY; // nothing kept between responses: an idle session holds no output buffer
        return payload;
    }

    private String emptyBody() {
        return "<body xmlns='" + BoshBody.NS_HTTPBIND + "'/>";
    }

    // ---- ending ----

    /**
     * Ends the session from the binding's side (XEP-0124 §17.2): {@code exchange} (and every request still
     * waiting) gets the terminal condition, and the XMPP stream ends as if its connection dropped.
     */
    private void terminate(String condition, Exchange exchange, List<Runnable> replies, String why) {
        LOG.info("BOSH session of {} terminated: {} ({})", describe(), condition, why);
        String response = "<body type='terminate' condition='" + condition + "' xmlns='" + BoshBody.NS_HTTPBIND + "'/>";
        List<Exchange> waiting = new ArrayList<>();
        held.forEach(h -> waiting.add(h.exchange));
        early.values().forEach(p -> waiting.add(p.exchange));
        if (exchange != null) {
            waiting.add(exchange);
        }
        for (Exchange e : waiting) {
            if (terms.legacy() && legacyStatus(condition) > 0) {
                int status = legacyStatus(condition);
                replies.add(() -> e.fail(status, "BOSH " + condition));
            } else {
                replies.add(() -> e.answer(terms.contentType(), response));
            }
        }
        held.forEach(h -> {
            if (h.timer != null) {
                h.timer.cancel(false);
            }
        });
        held.clear();
        early.clear();
        outboundLength = 0;
        outbound = EMPTY;
        leave();
        XmppStream s = stream;
        execute(s::connectionLost);
    }

    /** Binding-side termination from outside a request (gateway shutdown). */
    void terminate(String condition) {
        List<Runnable> replies = new ArrayList<>();
        synchronized (this) {
            if (gone) {
                return;
            }
            terminate(condition, null, replies, "server stopping");
            replies.forEach(Runnable::run);
        }
    }

    /** §17.1: the deprecated HTTP codes legacy clients expect; 0 when the condition has none. */
    private static int legacyStatus(String condition) {
        return switch (condition) {
            case "bad-request" -> HttpStatus.BAD_REQUEST_400;
            case "policy-violation" -> HttpStatus.FORBIDDEN_403;
            case "item-not-found" -> HttpStatus.NOT_FOUND_404;
            default -> 0;
        };
    }

    /** The session is over: unregistered, timers stopped; later requests get item-not-found. */
    private void leave() {
        gone = true;
        cancelIdleTimer();
        owner.remove(this);
        owner.server.streamGone(stream);
    }

    /**
     * Starts the inactivity timer when no request is held. Requests waiting early for a gap do not count: if the
     * missing request does not come within the inactivity period either, it is lost and the session ends.
     */
    private void afterChange() {
        if (!gone && held.isEmpty() && idleTimer == null) {
            Duration idle = pause != null && finalBody == null ? pause : owner.settings.inactivity();
            idleTimer = owner.timers.schedule(this::inactive, idle.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void cancelIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    /** §10: no request for the inactivity period: the client is gone. */
    private void inactive() {
        synchronized (this) {
            idleTimer = null;
            if (gone || !held.isEmpty()) {
                return;
            }
            if (!early.isEmpty()) {
                List<Runnable> replies = new ArrayList<>();
                terminate("item-not-found", null, replies, "request " + nextRid + " never came");
                replies.forEach(Runnable::run);
                return;
            }
            boolean streamAlive = finalBody == null;
            LOG.info("BOSH session of {} ended: no request for {}s", describe(),
                    (pause != null ? pause : owner.settings.inactivity()).toSeconds());
            leave();
            if (streamAlive) {
                XmppStream s = stream;
                execute(s::connectionLost);
            }
        }
    }

    private String describe() {
        XmppStream s = stream;
        return s != null && s.fullJid() != null ? s.fullJid().getFullQualifiedName() : remoteAddress;
    }

    private void execute(Runnable task) {
        try {
            stream.session().executor().execute(task);
        } catch (RejectedExecutionException e) {
            // the server is stopping; its shutdown ends the stream
        }
    }

    // ---- StreamTransport: what the XMPP stream writes ----

    @Override
    public void send(String xml) {
        send(xml.getBytes(StandardCharsets.UTF_8));
    }

    /** A stanza rendered once into UTF-8 (issue 18) joins the next response as it is. */
    @Override
    public void send(byte[] utf8) {
        synchronized (this) {
            if (gone || finalBody != null) {
                return;
            }
            if (outboundLength == 0) {
                outboundSince = System.nanoTime();
            }
            if (outboundLength == 0) {
                outbound = utf8; // the array is the transport's (StreamTransport#send): the usual lone stanza is not copied
            } else {
                if (outboundLength + utf8.length > outbound.length) { // always for a lone stanza's own array: it is full
                    outbound = Arrays.copyOf(outbound, Math.max(outboundLength + utf8.length, outbound.length * 2));
                }
                System.arraycopy(utf8, 0, outbound, outboundLength, utf8.length);
            }
            outboundLength += utf8.length;
            if (outboundLength > owner.server.guard().settings().sendBuffer() && overflowing()) {
                return;
            }
            if (!flushQueued && !held.isEmpty()) {
                // After the current task: whatever else it writes goes out in the same response.
                flushQueued = true;
                execute(this::flush);
            }
        }
    }

    /**
     * Output above limits.send-buffer (issue 17): a client that has sent no request for {@link #STALL_NANOS}
     * since the output began to wait has stopped polling, and one {@link #HARD_FACTOR} times over is not keeping
     * up; either ends like a dropped connection (a resumable session waits for resumption, and what it never
     * acknowledged goes to offline storage, XEP-0198 §5). Otherwise a timer looks again, so the session ends even
     * if nothing more is written. Called with the lock held; true when the session ended.
     */
    private boolean overflowing() {
        long limit = owner.server.guard().settings().sendBuffer();
        long waited = System.nanoTime() - Math.max(outboundSince, lastRequestAt);
        if (waited > STALL_NANOS || outboundLength > HARD_FACTOR * limit) {
            List<Runnable> replies = new ArrayList<>();
            terminate("policy-violation", null, replies, outboundLength + " bytes wait and no request came for "
                    + waited / 1_000_000 + " ms");
            replies.forEach(Runnable::run);
            return true;
        }
        if (!overflowCheck) {
            overflowCheck = true;
            owner.timers.schedule(() -> {
                synchronized (this) {
                    overflowCheck = false;
                    if (!gone && outboundLength > limit) {
                        overflowing();
                    }
                }
            }, STALL_NANOS - waited + 1_000_000, TimeUnit.NANOSECONDS);
        }
        return false;
    }

    private void flush() {
        List<Runnable> replies = new ArrayList<>();
        synchronized (this) {
            flushQueued = false;
            if (!gone && outboundLength > 0 && !held.isEmpty()) {
                answerOldest(replies);
            }
            afterChange();
            replies.forEach(Runnable::run);
        }
    }

    /** The client did not acknowledge its stanzas (XEP-0198): the session ends as if its connection dropped. */
    @Override
    public void abort() {
        List<Runnable> replies = new ArrayList<>();
        synchronized (this) {
            if (gone || finalBody != null) {
                return;
            }
            terminate("policy-violation", null, replies, "did not acknowledge its stanzas (XEP-0198)");
            replies.forEach(Runnable::run);
        }
    }

    /** The XMPP stream ended (closed, or a stream error): the session ends with a terminate response. */
    @Override
    public void close() {
        List<Runnable> replies = new ArrayList<>();
        synchronized (this) {
            if (gone || finalBody != null) {
                return;
            }
            String condition = streamErrorWritten ? " condition='remote-stream-error'" : "";
            byte[] last = wrap(new StringBuilder("<body type='terminate'").append(condition).append(" xmlns='")
                    .append(BoshBody.NS_HTTPBIND).append('\''), takeOutbound());
            early.values().forEach(p -> replies.add(() -> p.exchange.answer(terms.contentType(), last)));
            early.clear();
            if (held.isEmpty()) {
                finalBody = last;
                afterChange();
            } else {
                while (held.size() > 1) {
                    answerOldest(replies);
                }
                Held h = held.pollFirst();
                if (h.timer != null) {
                    h.timer.cancel(false);
                }
                replies.add(() -> h.exchange.answer(terms.contentType(), last));
                leave();
            }
            replies.forEach(Runnable::run);
        }
    }

    @Override
    public String kind() {
        return "bosh";
    }

    @Override
    public boolean isSecure() {
        return secure;
    }

    @Override
    public boolean canStartTls() {
        return false; // XEP-0206: TLS belongs to the HTTP layer
    }

    @Override
    public void startTls(String proceed) {
        throw new UnsupportedOperationException("no STARTTLS over BOSH");
    }

    @Override
    public String remoteAddress() {
        return remoteAddress;
    }

    @Override
    public StreamFraming framing() {
        return framing;
    }

    /**
     * XEP-0206's form of the stream: the header is the creation response's attributes (its id becomes
     * 'authid'), the close is a terminate response, and the other stream-level elements are payloads that
     * declare their prefix.
     */
    private final class BodyFraming implements StreamFraming {
        @Override
        public String header(String from, String id) {
            synchronized (BoshSession.this) {
                authid = id;
            }
            return null;
        }

        @Override
        public byte[] error(StreamErrorCondition condition, String text) {
            synchronized (BoshSession.this) {
                streamErrorWritten = true;
            }
            // The default namespace declaration changes nothing for the children (each is in it anyway) but
            // lets Smack's BOSH client (4.5), which checks the in-scope default namespace, read it as a stream error.
            return StanzaSerializer.toBytes(StreamFraming.errorElement(condition, text, true));
        }

        @Override
        public String close() {
            return null;
        }
    }

    private static final class Pending {
        final BoshBody body;
        Exchange exchange;

        Pending(BoshBody body, Exchange exchange) {
            this.body = body;
            this.exchange = exchange;
        }
    }

    private static final class Held {
        final long rid;
        Exchange exchange;
        ScheduledFuture<?> timer;

        Held(long rid, Exchange exchange) {
            this.rid = rid;
            this.exchange = exchange;
        }
    }

    private record Sent(byte[] body, long at) {
    }
}
