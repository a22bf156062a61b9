package org.parley.server.stream;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.addressing.stringprep.ResourcePrep;
import org.apache.vysper.xmpp.addressing.stringprep.StringPrepViolationException;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.server.SessionContext.SessionTerminationCause;
import org.apache.vysper.xmpp.server.SessionState;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.parley.server.caps.ServerCaps;
import org.parley.server.csi.ClientState;
import org.parley.server.config.ServerSettings;
import org.parley.server.guard.AddressGate;
import org.parley.server.guard.AuthThrottle;
import org.parley.server.guard.Guard;
import org.parley.server.guard.TokenBucket;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.sasl.SaslMechanism;
import org.parley.server.sasl.SaslStep;
import org.parley.server.session.ParleySession;
import org.parley.server.sm.Resumption;
import org.parley.server.sm.StreamManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One client-to-server XML stream, from header to close: the negotiation of RFC 6120 (§4 streams, §5
 * STARTTLS, §6 SASL, §7 resource binding) done by Parley, after which stanzas go to Vysper's handlers
 * through the {@link StanzaDispatcher}. Transport-independent: TCP feeds it bytes ({@link #receive}); WebSocket
 * and BOSH parse their own framing and {@link #deliver} what they parsed. What the stream writes is shaped by
 * the transport's {@link StreamFraming}.
 *
 * <p>All methods run on the session's serial executor, never concurrently.
 */
public final class XmppStream implements XmlStreamListener, Resumption.Resumable {

    private static final Logger LOG = LoggerFactory.getLogger(XmppStream.class);

    static final String NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
    static final String NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl";
    static final String NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
    static final String NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session";
    static final String NS_SM = "urn:xmpp:sm:3";
    static final String NS_STREAMS = "urn:ietf:params:xml:ns:xmpp-streams";
    static final String NS_REGISTER = "jabber:iq:register";
    private static final int MAX_SASL_FAILURES = 3;
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final StreamEnvironment env;
    private final ParleySession session;
    private final StreamTransport transport;
    private final StreamFraming framing;
    private XmlStreamParser parser;
    private volatile int stanzaLimit;
    private boolean headerSent;
    private boolean streamOpen;
    private volatile boolean ended;
    private StreamManagement sm;
    /**
     * The {@link DurableWrites} marks of the stanzas handled since the last acknowledgement, as one. Volatile:
     * a resuming stream reads it from its own thread ({@link #whenHandledStored}).
     */
    private volatile DurableWrites.Mark unstored = DurableWrites.Mark.NONE;
    private SaslMechanism sasl;
    private int saslFailures;
    private Entity fullJid;
    // ---- abuse protection (issue 17) ----
    private final Guard guard;
    /** This connection's unauthenticated slot of its address; null when refused. */
    private AddressGate.Ticket ticket;
    private ScheduledFuture<?> headerDeadline;
    private ScheduledFuture<?> authDeadline;
    private boolean everOpened;
    /** An authentication outcome is being held back by the throttle; nothing else may come meanwhile. */
    private boolean saslPending;
    private TokenBucket stanzaBucket;
    private boolean refusedArchiveQuery;
    /** The XEP-0198 queue outgrew its bound once; what follows was already dealt with. */
    private volatile boolean overflowed;
    /** An {@code <r/>} went out for an outgrown queue and no {@code <a/>} came back yet. */
    private volatile boolean ackRequested;
    private static final long UNACKED_HARD_FACTOR = 4;

    public XmppStream(StreamEnvironment env, ParleySession session, StreamTransport transport) {
        this.env = env;
        this.session = session;
        this.transport = transport;
        this.framing = transport.framing();
        this.stanzaLimit = env.limits().preAuthStanzaBytes();
        this.parser = XmlStreamParser.forStream(this, stanzaLimit);
        this.guard = env.guard();
        admit();
    }

    /**
     * Per-address admission (XEP-0205 §4.2, §4.3) and the deadlines for the stream header and for
     * authentication: a connection that is refused, or misses a deadline, ends with a stream error.
     */
    private void admit() {
        String address = transport.remoteAddress();
        String refusal = guard.auth().banned(address)
                ? "too many failed authentications from your address; try again later" : null;
        if (refusal == null) {
            AddressGate.Admission admission = guard.gate().admit(address);
            ticket = admission.ticket();
            refusal = admission.refusal();
        }
        if (refusal != null) {
            LOG.info("connection from {} refused: {}", address, refusal);
            guard.hit("address");
            String text = refusal;
            session.executor().execute(() -> streamError(StreamErrorCondition.POLICY_VIOLATION, text));
            return;
        }
        ServerSettings.Guard limits = guard.settings();
        headerDeadline = guard.schedule(() -> session.executor().execute(() -> {
            if (!everOpened) {
                guard.hit("header-timeout");
                streamError(StreamErrorCondition.CONNECTION_TIMEOUT,
                        "no stream header within " + limits.headerTimeout().toSeconds() + " s");
            }
        }), limits.headerTimeout());
        authDeadline = guard.schedule(() -> session.executor().execute(() -> {
            if (session.getState() != SessionState.AUTHENTICATED) {
                guard.hit("auth-timeout");
                streamError(StreamErrorCondition.CONNECTION_TIMEOUT,
                        "not authenticated within " + limits.authTimeout().toSeconds() + " s");
            }
        }), limits.authTimeout());
    }

    private static void cancel(ScheduledFuture<?> deadline) {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    public ParleySession session() {
        return session;
    }

    /** Feeds bytes read from the connection (a transport without framing of its own: TCP). */
    public void receive(byte[] data, int offset, int length) {
        deliver(listener -> parser.feed(data, offset, length));
    }

    /**
     * Input from a transport that parses its own framing (RFC 7395 WebSocket messages, XEP-0206 BOSH bodies):
     * {@code input} hands the stream opens, first-level elements and close it parsed to this stream's
     * {@link XmlStreamListener} methods. It is held to the same rules as {@link #receive}: a
     * {@link StreamErrorException} it throws ends the stream with that error, and an element before the stream
     * is open (again, after SASL) or a second open is a stream error. Call it on the session's executor.
     */
    public void deliver(FramedInput input) {
        if (ended) {
            return;
        }
        try (MDC.MDCCloseable user = MDC.putCloseable("user", describePeer())) {
            input.deliverTo(this);
        } catch (StreamErrorException e) {
            streamError(e.condition(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("stream of {} failed", session.getInitiatingEntity(), e);
            streamError(StreamErrorCondition.INTERNAL_SERVER_ERROR, null);
        }
    }

    /** What a framing transport parsed, delivered to a stream; see {@link #deliver}. */
    @FunctionalInterface
    public interface FramedInput {
        void deliverTo(XmlStreamListener stream) throws StreamErrorException;
    }

    /**
     * The largest first-level element accepted right now: the pre-authentication limit until SASL succeeds,
     * then the full one (RFC 6120 §13.12). Transports that parse their own framing apply it.
     */
    public int stanzaLimit() {
        return stanzaLimit;
    }

    // ---- stream level (RFC 6120 §4) ----

    @Override
    public void streamOpened(Map<String, String> attributes) throws StreamErrorException {
        if (ended) {
            return;
        }
        if (streamOpen) {
            // Only framing transports can express this (TCP's parser reads a second header as a stanza).
            throw new StreamErrorException(StreamErrorCondition.BAD_FORMAT, "the stream is already open");
        }
        streamOpen = true;
        everOpened = true;
        cancel(headerDeadline);
        sendHeader();
        String to = attributes.get("to");
        if (to != null && !to.equalsIgnoreCase(env.domain())) {
            throw new StreamErrorException(StreamErrorCondition.HOST_UNKNOWN, "this server serves " + env.domain());
        }
        String version = attributes.get("version");
        if (version == null || !version.startsWith("1.")) {
            throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_VERSION, "XMPP 1.0 is required");
        }
        sendIfAny(framing.features(features()));
    }

    private void sendHeader() {
        if (headerSent) {
            return;
        }
        headerSent = true;
        sendIfAny(framing.header(env.domain(), newStreamId()));
    }

    /** A fresh, unpredictable id for every stream header, restarts included (RFC 6120 §4.7.3). */
    private static String newStreamId() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private String features() {
        StringBuilder f = new StringBuilder();
        SessionState state = session.getState();
        boolean secure = transport.isSecure();
        if (state == SessionState.AUTHENTICATED) {
            f.append("<bind xmlns='").append(NS_BIND).append("'/>");
            f.append("<session xmlns='").append(NS_SESSION).append("'><optional/></session>");
            f.append("<ver xmlns='urn:xmpp:features:rosterver'/>"); // RFC 6121 §2.6
            f.append("<sub xmlns='urn:xmpp:features:pre-approval'/>"); // RFC 6121 §3.4
            f.append("<sm xmlns='").append(NS_SM).append("'/>"); // XEP-0198
            if (session.clientState() != null) {
                f.append("<csi xmlns='").append(ClientState.NS).append("'/>"); // XEP-0352 §6
            }
        } else {
            if (!secure && transport.canStartTls()) {
                f.append("<starttls xmlns='").append(NS_TLS).append("'>");
                if (env.starttlsRequired()) {
                    f.append("<required/>");
                }
                f.append("</starttls>");
            }
            if (secure || !env.starttlsRequired()) {
                f.append("<mechanisms xmlns='").append(NS_SASL).append("'>");
                for (String name : env.sasl().names(secure)) {
                    f.append("<mechanism>").append(name).append("</mechanism>");
                }
                f.append("</mechanisms>");
                if (secure && env.registration().enabled()) {
                    f.append("<register xmlns='http://jabber.org/features/iq-register'/>");
                }
            }
        }
        ServerCaps caps = ServerCaps.of(session.getServerRuntimeContext());
        if (caps != null) {
            f.append(caps.streamFeature()); // XEP-0115 §6.3
        }
        return f.toString();
    }

    @Override
    public void streamClosed() {
        // Answer the peer's closing tag at once (RFC 6120 §4.4); Vysper 0.7 never did.
        end(SessionTerminationCause.CLIENT_BYEBYE, framing.close());
    }

    /** Sends a stream error and closes (RFC 6120 §4.9.1.1). */
    public void streamError(StreamErrorCondition condition, String text) {
        if (ended) {
            return;
        }
        sendHeader();
        LOG.info("stream error {} for {}{}", condition.elementName(), describePeer(), text == null ? "" : ": " + text);
        StringBuilder error = new StringBuilder("<").append(condition.elementName())
                .append(" xmlns='").append(NS_STREAMS).append("'/>");
        if (text != null) {
            error.append("<text xmlns='").append(NS_STREAMS).append("' xml:lang='en'>").append(escape(text))
                    .append("</text>");
        }
        end(SessionTerminationCause.STREAM_ERROR, framing.error(error.toString()), framing.close());
    }

    /** The connection went away without a closing tag. */
    public void connectionLost() {
        end(SessionTerminationCause.CONNECTION_ABORT);
    }

    /** Server shutdown: tell the client and close (RFC 6120 §4.9.3.22). */
    public void shutdown() {
        streamError(StreamErrorCondition.SYSTEM_SHUTDOWN, null);
    }

    /** Sends {@code lastWords} (each non-null one on its own), closes the transport and ends the session. */
    private void end(SessionTerminationCause cause, String... lastWords) {
        if (ended) {
            return;
        }
        ended = true;
        cancel(headerDeadline);
        cancel(authDeadline);
        if (ticket != null) {
            ticket.closed();
        }
        for (String words : lastWords) {
            sendIfAny(words);
        }
        transport.close();
        // Nobody is there to be inactive: what was held is sent (and counted for a resumption), and so is
        // whatever arrives next.
        session.clientActive();
        String resumable = sm == null ? null : sm.resumptionId();
        if (resumable != null && cause == SessionTerminationCause.CONNECTION_ABORT && fullJid != null
                && session.getState() == SessionState.AUTHENTICATED) {
            // XEP-0198 §5: the session stays (bound, in its rooms, collecting what is sent to it) until the
            // client resumes it on a new connection or the resumption timeout ends it.
            env.resumption().detached(resumable, this);
            LOG.debug("stream of {} lost; resumable for {} s", describePeer(), env.resumption().timeoutSeconds());
            return;
        }
        if (resumable != null) {
            env.resumption().forget(resumable);
        }
        endSession(cause);
    }

    /** Ends the session: unavailable presence to contacts, unbinding, departure from rooms (RFC 6121 §4.6). */
    private void endSession(SessionTerminationCause cause) {
        try {
            // Vysper's end of session runs on the session's runtime, scoped to its account.
            if (session.getState() == SessionState.AUTHENTICATED && fullJid != null) {
                // Broadcasts unavailable presence to contacts (RFC 6121 §4.6) and unbinds.
                session.endSession(cause == SessionTerminationCause.STREAM_ERROR
                        ? SessionTerminationCause.CONNECTION_ABORT : cause);
            } else {
                session.close();
                env.registry().unbindSession(session);
                session.setState(SessionState.CLOSED);
            }
        } catch (RuntimeException e) {
            LOG.warn("ending session of {} failed", session.getInitiatingEntity(), e);
        }
        LOG.debug("stream of {} ended: {}", describePeer(), cause);
    }

    public boolean isEnded() {
        return ended;
    }

    private String describePeer() {
        if (fullJid != null) {
            return fullJid.getFullQualifiedName();
        }
        Entity user = session.getInitiatingEntity();
        return user != null ? user.getFullQualifiedName() : transport.remoteAddress();
    }

    // ---- first-level elements ----

    @Override
    public void element(Stanza element) throws StreamErrorException {
        if (ended) {
            return;
        }
        if (!streamOpen) {
            // Only framing transports can get here: TCP's parser demands the header first.
            throw new StreamErrorException(StreamErrorCondition.INVALID_NAMESPACE,
                    "the stream is not open: a stream header must come first");
        }
        if (saslPending) {
            throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION,
                    "wait for the outcome of authentication");
        }
        String ns = element.getNamespaceURI();
        String name = element.getName();
        SessionState state = session.getState();
        if (NS_SM.equals(ns) && state == SessionState.AUTHENTICATED) {
            streamManagement(element);
            return;
        }
        if (ClientState.NS.equals(ns) && state == SessionState.AUTHENTICATED && session.clientState() != null) {
            clientStateIndication(element);
            return;
        }
        if (state != SessionState.AUTHENTICATED) {
            if (NS_TLS.equals(ns) && "starttls".equals(name)) {
                startTls();
                return;
            }
            if (!transport.isSecure() && env.starttlsRequired()) {
                throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION,
                        "STARTTLS is required (RFC 6120 §5.3.1)");
            }
            if (NS_SASL.equals(ns)) {
                sasl(element);
                return;
            }
            if ("iq".equals(name) && isRegistration(element) && transport.isSecure()) {
                sendIfAny(env.registration().handle(element, null, transport.remoteAddress()).reply());
                return;
            }
            throw new StreamErrorException(StreamErrorCondition.NOT_AUTHORIZED, "authenticate first");
        }
        if (fullJid == null) {
            beforeBind(element);
            return;
        }
        if (isRegistration(element) && addressedToServer(element)) {
            var outcome = env.registration().handle(element, fullJid.getBareJID(), transport.remoteAddress());
            if (outcome.reply() != null) {
                session.write(outcome.reply()); // through the session, so that stream management counts it
            }
            if (outcome.accountRemoved()) {
                // The account was deleted (XEP-0077 §3.2): this stream and every other one of it end.
                streamError(StreamErrorCondition.NOT_AUTHORIZED, "account removed");
                env.onAccountRemoved().accept(fullJid.getBareJID());
            }
            return;
        }
        if (!stanzaBucket.tryTake() || overArchiveBudget(element)) {
            // XEP-0205 §4.8: over the session's stanza rate. A request is answered (RFC 6120 §8.3.3.18,
            // type wait: the client may retry later); anything else is dropped, and counted as handled below.
            if (!refusedArchiveQuery) {
                guard.hit("stanza-rate");
            }
            if (StanzaErrors.answerable(element) && !refusedArchiveQuery) {
                session.write(StanzaErrors.error(element, StanzaErrorCondition.RESOURCE_CONSTRAINT,
                        "too many stanzas; slow down (at most " + guard.settings().stanzaRate() + " a second)"));
            }
            refusedArchiveQuery = false;
            if (sm != null) {
                sm.handled();
            }
            return;
        }
        // Whatever was queued for this session outside its stream's stanzas is not this stanza's: drop it,
        // so the mark taken below spans this stanza's writes only.
        env.durableWrites().takeMark(session);
        env.metrics().stanzaIn(element.getName());
        if (isSessionRequest(element) && addressedToServer(element)) {
            // RFC 3921 §3 session establishment is advertised as <optional/> (RFC 6121 Appendix E), but clients
            // such as Strophe.js still send it after binding, and fail the login unless it succeeds.
            session.write(sessionResult(element)); // counted by stream management like any other reply
        } else {
            env.dispatcher().dispatch(session, fullJid, element);
        }
        unstored = unstored.through(env.durableWrites().takeMark(session));
        if (sm != null) {
            sm.handled();
        }
    }

    // ---- client state indication (XEP-0352) ----

    /** §4: nonzas, never answered and never counted by stream management. */
    private void clientStateIndication(Stanza element) throws StreamErrorException {
        switch (element.getName()) {
            case "inactive" -> session.clientState().inactive();
            case "active" -> session.clientActive();
            default -> throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_STANZA_TYPE,
                    "unknown client state element <" + element.getName() + "/>");
        }
    }

    // ---- stream management (XEP-0198) ----

    private void streamManagement(Stanza element) throws StreamErrorException {
        switch (element.getName()) {
            case "enable" -> {
                if (fullJid == null || sm != null) {
                    // §3: enable only once, after binding a resource.
                    transport.send("<failed xmlns='" + NS_SM + "'><unexpected-request "
                            + "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
                    return;
                }
                String resume = element.getAttributeValue("resume");
                boolean resumable = "true".equals(resume) || "1".equals(resume);
                String id = resumable ? env.resumption().newId() : null;
                sm = new StreamManagement(id, guard.settings().resumptionBuffer());
                session.recordOutbound(this::recorded);
                if (resumable) {
                    env.resumption().attached(id, this);
                    transport.send("<enabled xmlns='" + NS_SM + "' id='" + id + "' resume='true' max='"
                            + env.resumption().timeoutSeconds() + "'/>");
                } else {
                    transport.send("<enabled xmlns='" + NS_SM + "'/>");
                }
            }
            case "r" -> {
                if (sm != null) {
                    acknowledge();
                }
            }
            case "a" -> {
                Long h = counter(element.getAttributeValue("h"));
                if (sm != null && (h == null || !sm.acknowledged(h))) {
                    throw new StreamErrorException(StreamErrorCondition.UNDEFINED_CONDITION,
                            "the acknowledgement does not match the stanzas sent (XEP-0198 §4)");
                }
                ackRequested = false;
            }
            case "resume" -> resume(element);
            default -> throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_STANZA_TYPE,
                    "unknown stream management element <" + element.getName() + "/>");
        }
    }

    /**
     * Answers waiting for the archive's commit, in request order (touched on the executor only; volatile for
     * {@link #whenHandledStored}): completes true once everything they cover is stored, false if not.
     */
    private volatile CompletableFuture<Boolean> deferredAcks = CompletableFuture.completedFuture(true);
    private int deferredAckCount;
    /** Unanswered acknowledgement requests a client may pile up while the archive is behind. */
    private static final int MAX_DEFERRED_ACKS = 1000;

    /**
     * XEP-0198 §4: answers {@code <r/>} with the count of stanzas handled now, once what they stored is
     * committed (acknowledged means stored).
     */
    private void acknowledge() throws StreamErrorException {
        long h = sm.handledCount();
        CompletableFuture<Boolean> stored = env.durableWrites().whenStored(unstored);
        unstored = DurableWrites.Mark.NONE;
        afterStored(stored, ok -> sendAck(h, ok));
    }

    /**
     * Gives {@code answer} whether {@code stored} came true, after every answer deferred before it. Nothing
     * waits: the archive's future hands the answer back to this session's executor.
     */
    private void afterStored(CompletableFuture<Boolean> stored, java.util.function.Consumer<Boolean> answer)
            throws StreamErrorException {
        if (deferredAckCount == 0 && stored.isDone()) {
            answer.accept(stored.getNow(false));
            return;
        }
        if (++deferredAckCount > MAX_DEFERRED_ACKS) {
            throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION,
                    "too many acknowledgement requests waiting (XEP-0198 §4)");
        }
        // A false before this one already ended the stream; carried on for whenHandledStored.
        deferredAcks = deferredAcks.thenCombine(stored, (previous, ok) -> previous && ok).handle((ok, failure) -> {
            boolean all = failure == null && ok;
            session.executor().execute(() -> {
                deferredAckCount--;
                answer.accept(all);
            });
            return all;
        });
    }

    @Override
    public CompletableFuture<Boolean> whenHandledStored() {
        return deferredAcks.thenCombine(env.durableWrites().whenStored(unstored), (before, rest) -> before && rest);
    }

    private void sendAck(long h, boolean stored) {
        if (ended) {
            return;
        }
        if (!stored) {
            // An <a h/> would tell the client these stanzas are safe (XEP-0198 §4), and it would drop its
            // copies. Instead the stream ends with an error and without resumption (only a lost connection
            // leaves a session resumable, §5), so the client keeps what was not acknowledged and sends it again
            // on its next session.
            streamError(StreamErrorCondition.INTERNAL_SERVER_ERROR, "messages could not be stored");
            return;
        }
        transport.send("<a xmlns='" + NS_SM + "' h='" + h + "'/>");
    }

    /**
     * Records a stanza for XEP-0198. When the unacknowledged queue outgrows its bound (limits.resumption-buffer,
     * or {@link StreamManagement#MAX_UNACKED} stanzas): a detached session ends at once, its queue going to the
     * account's other resources or offline storage; an attached client is asked for an acknowledgement
     * ({@code <r/>}, §4), since a burst (offline messages, say) outgrows it before any could come back, and only
     * a client {@value #UNACKED_HARD_FACTOR} times over the bound is dropped (the session stays resumable, and
     * the client gets it all back on resumption).
     */
    private boolean recorded(Stanza stanza) {
        StreamManagement state = sm;
        Boolean within = state.sentUnlessSealed(stanza);
        if (within == null) {
            // Written by another session's thread that found this one just before it expired: rerouted like
            // the rest of the queue rather than lost (issue 17's slow-reader tests saw it).
            rerouteUnacknowledged(List.of(stanza));
            return true;
        }
        if (within || overflowed) {
            return true;
        }
        long bytes = state.unackedBytes();
        long bound = guard.settings().resumptionBuffer();
        if (ended) {
            overflowed = true;
            LOG.info("detached {} has {} bytes of unacknowledged stanzas; the session ends", describePeer(), bytes);
            if (state.resumptionId() != null) {
                env.resumption().expireNow(state.resumptionId());
            }
        } else if (bytes > UNACKED_HARD_FACTOR * bound || state.unackedCount() > StreamManagement.MAX_UNACKED) {
            overflowed = true;
            LOG.info("{} has not acknowledged {} bytes of stanzas; its connection is dropped", describePeer(), bytes);
            transport.abort();
        } else if (!ackRequested) {
            ackRequested = true;
            transport.send("<r xmlns='" + NS_SM + "'/>");
        }
        return true;
    }

    /** §5: takes over a detached (or not yet noticed dead) session of the same account. */
    private void resume(Stanza element) throws StreamErrorException {
        String previd = element.getAttributeValue("previd");
        Long h = counter(element.getAttributeValue("h"));
        Resumption.Resumable old = fullJid != null || previd == null || h == null ? null
                : env.resumption().take(previd, session.getInitiatingEntity());
        if (old == null) {
            transport.send("<failed xmlns='" + NS_SM + "'><item-not-found "
                    + "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
            return;
        }
        session.holdOutput();
        old.handOver(session);
        if (env.registry().rebind(old.fullJid(), session).isEmpty()) {
            session.releaseOutput(List.of());
            transport.send("<failed xmlns='" + NS_SM + "'><item-not-found "
                    + "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>");
            return;
        }
        fullJid = old.fullJid();
        sm = old.state();
        List<Stanza> again = sm.takeUnacknowledged(h);
        session.recordOutbound(this::recorded);
        env.resumption().attached(previd, this);
        // <resumed h/> acknowledges what the old stream handled (§5), so, as an <a/>, it waits for what those
        // stanzas stored: their writes were recorded on the old stream, whose pending answers died with it.
        long handled = sm.handledCount();
        afterStored(old.whenHandledStored(), stored -> {
            if (ended) {
                return;
            }
            if (!stored) {
                // As sendAck: no acknowledgement, no resumption; the client keeps its copies for a new session.
                session.releaseOutput(again);
                streamError(StreamErrorCondition.INTERNAL_SERVER_ERROR, "messages could not be stored");
                return;
            }
            transport.send("<resumed xmlns='" + NS_SM + "' previd='" + escape(previd) + "' h='" + handled + "'/>");
            session.releaseOutput(again);
            LOG.debug("{} resumed, {} stanzas sent again", fullJid.getFullQualifiedName(), again.size());
        });
    }

    private static Long counter(String value) {
        try {
            long h = Long.parseLong(value);
            return h < 0 || h >= (1L << 32) ? null : h;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public StreamManagement state() {
        return sm;
    }

    @Override
    public void handOver(org.apache.vysper.xmpp.writer.StanzaWriter next) {
        ended = true;
        session.handOverTo(next);
        transport.close();
    }

    /** The resumption timeout passed: end the session, and give its unacknowledged messages another way in. */
    @Override
    public CompletableFuture<Void> expire() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        session.executor().execute(() -> {
            try {
                // Unbound first, so that nothing more is delivered to this session; what arrived until then
                // is still recorded as unacknowledged and taken below.
                endSession(SessionTerminationCause.CONNECTION_ABORT);
                // Sealed, the recorder stays: what is still written to this session is rerouted in recorded().
                rerouteUnacknowledged(sm.takeAllAndSeal());
            } finally {
                done.complete(null);
            }
        });
        return done;
    }

    /** XEP-0198 §5, RFC 6121 §8.5.2: unacknowledged messages go to the account's other resources or offline. */
    private void rerouteUnacknowledged(List<Stanza> undelivered) {
        var relay = (LocalRelay) session.getServerRuntimeContext().getStanzaRelay();
        for (Stanza stanza : undelivered) {
            if ("message".equals(stanza.getName()) && !StanzaErrors.isError(stanza)
                    && !stanza.getInnerElementsNamed("body", NamespaceURIs.JABBER_CLIENT).isEmpty()) {
                try {
                    relay.reroute(fullJid, stanza);
                } catch (RuntimeException e) {
                    LOG.warn("unacknowledged message for {} could not be rerouted: {}", fullJid, e.toString());
                }
            }
        }
    }

    private boolean addressedToServer(Stanza element) {
        String to = element.getAttributeValue("to");
        return to == null || to.equalsIgnoreCase(env.domain());
    }

    private static boolean isRegistration(Stanza element) {
        if (!"iq".equals(element.getName())) {
            return false;
        }
        XMLElement first = element.getFirstInnerElement();
        return first != null && NS_REGISTER.equals(first.getNamespaceURI()) && "query".equals(first.getName());
    }

    private void startTls() throws StreamErrorException {
        if (transport.isSecure() || !transport.canStartTls()) {
            end(SessionTerminationCause.STREAM_ERROR, "<failure xmlns='" + NS_TLS + "'/>", framing.close());
            return;
        }
        // RFC 6120 §5.4.3.3: after <proceed/>, TLS starts and the stream restarts from scratch.
        restartParser(env.limits().preAuthStanzaBytes());
        transport.startTls("<proceed xmlns='" + NS_TLS + "'/>");
    }

    /** A stream restart (RFC 6120 §4.3.3): the client opens a new stream, which gets a new header. */
    private void restartParser(int limit) {
        headerSent = false;
        streamOpen = false;
        stanzaLimit = limit;
        parser = XmlStreamParser.forStream(this, limit);
    }

    // ---- SASL (RFC 6120 §6) ----

    private void sasl(Stanza element) throws StreamErrorException {
        switch (element.getName()) {
            case "auth" -> {
                if (guard.auth().banned(transport.remoteAddress())) {
                    guard.hit("auth-ban");
                    throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION,
                            "too many failed authentications from your address; try again later");
                }
                String mechanism = element.getAttributeValue("mechanism");
                Optional<SaslMechanism> created = mechanism == null ? Optional.empty()
                        : env.sasl().create(mechanism, transport.isSecure());
                if (created.isEmpty()) {
                    saslFailure("invalid-mechanism", null);
                    return;
                }
                sasl = created.get();
                byte[] initial;
                try {
                    initial = saslPayload(element, true);
                } catch (IllegalArgumentException e) {
                    saslFailure("incorrect-encoding", null);
                    return;
                }
                saslStep(sasl.start(initial));
            }
            case "response" -> {
                if (sasl == null) {
                    saslFailure("malformed-request", "no authentication in progress");
                    return;
                }
                byte[] response;
                try {
                    response = saslPayload(element, false);
                } catch (IllegalArgumentException e) {
                    saslFailure("incorrect-encoding", null);
                    return;
                }
                saslStep(sasl.respond(response));
            }
            case "abort" -> {
                sasl = null;
                transport.send("<failure xmlns='" + NS_SASL + "'><aborted/></failure>");
            }
            default -> throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_STANZA_TYPE,
                    "unknown SASL element <" + element.getName() + "/>");
        }
    }

    /** Base64 payload of auth/response; "=" is an empty one; absent text is null for auth (RFC 6120 §6.4.2). */
    private static byte[] saslPayload(Stanza element, boolean nullWhenAbsent) {
        StringBuilder text = new StringBuilder();
        for (XMLText t : element.getInnerTexts()) {
            text.append(t.getText());
        }
        String payload = text.toString().trim();
        if (payload.isEmpty()) {
            return nullWhenAbsent ? null : new byte[0];
        }
        if (payload.equals("=")) {
            return new byte[0];
        }
        return Base64.getDecoder().decode(payload);
    }

    /**
     * A mechanism's step. An outcome (success or failure) goes through the {@link AuthThrottle}: a failure is
     * counted and logged, and both are held back by the delay the address's and the account's recent failures
     * earn, so guessing gets slower and slower while the owner still gets in (only later).
     */
    private void saslStep(SaslStep step) throws StreamErrorException {
        if (step instanceof SaslStep.Challenge) {
            saslOutcome(step, false);
            return;
        }
        String address = transport.remoteAddress();
        String account = sasl == null ? null : sasl.attemptedUsername();
        boolean banned = step instanceof SaslStep.Failure && guard.auth().failed(address, account);
        long delay = guard.auth().delayMillis(address, account);
        if (delay <= 0) {
            saslOutcome(step, banned);
            return;
        }
        saslPending = true;
        guard.scheduleMillis(() -> session.executor().execute(() -> {
            saslPending = false;
            deliver(ignored -> saslOutcome(step, banned));
        }), delay);
    }

    private void saslOutcome(SaslStep step, boolean banned) throws StreamErrorException {
        if (step instanceof SaslStep.Challenge challenge) {
            transport.send("<challenge xmlns='" + NS_SASL + "'>" + base64(challenge.data()) + "</challenge>");
        } else if (step instanceof SaslStep.Success success) {
            env.metrics().login(true, sasl == null ? null : sasl.name());
            sasl = null;
            Entity user = new EntityImpl(success.username(), env.domain(), null);
            session.setInitiatingEntity(user);
            session.setState(SessionState.AUTHENTICATED);
            cancel(authDeadline);
            if (ticket != null) {
                ticket.authenticated();
            }
            stanzaBucket = guard.stanzaBucket();
            LOG.info("authenticated {} from {}", user.getFullQualifiedName(), transport.remoteAddress());
            restartParser(env.limits().stanzaBytes());
            byte[] extra = success.additionalData();
            transport.send(extra == null || extra.length == 0 ? "<success xmlns='" + NS_SASL + "'/>"
                    : "<success xmlns='" + NS_SASL + "'>" + base64(extra) + "</success>");
        } else if (step instanceof SaslStep.Failure failure) {
            env.metrics().login(false, sasl == null ? null : sasl.name());
            sasl = null;
            saslFailure(failure.condition().elementName(), failure.text());
            if (banned) {
                throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION,
                        "too many failed authentications from your address; try again later");
            }
        }
    }

    private void saslFailure(String condition, String text) throws StreamErrorException {
        StringBuilder f = new StringBuilder("<failure xmlns='").append(NS_SASL).append("'><").append(condition)
                .append("/>");
        if (text != null) {
            f.append("<text xml:lang='en'>").append(escape(text)).append("</text>");
        }
        transport.send(f.append("</failure>").toString());
        if (++saslFailures >= MAX_SASL_FAILURES) {
            // RFC 6120 §6.4.5: a bounded number of retries, then the stream ends.
            throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION, "too many failed authentication attempts");
        }
    }

    // ---- resource binding (RFC 6120 §7) ----

    private void beforeBind(Stanza element) throws StreamErrorException {
        if (!"iq".equals(element.getName())) {
            throw new StreamErrorException(StreamErrorCondition.NOT_AUTHORIZED, "bind a resource first");
        }
        XMPPCoreStanza iq = XMPPCoreStanza.getWrapper(element);
        XMLElement payload = element.getFirstInnerElement();
        if (!(iq instanceof IQStanza request) || payload == null) {
            throw new StreamErrorException(StreamErrorCondition.NOT_AUTHORIZED, "bind a resource first");
        }
        if (NS_BIND.equals(payload.getNamespaceURI()) && request.getIQType() == IQStanzaType.SET) {
            bind(request, payload);
        } else if (isSessionRequest(element)) {
            transport.send(render(sessionResult(element)));
        } else if (isRegistration(element)) {
            Entity user = session.getInitiatingEntity();
            sendIfAny(env.registration().handle(element, user, transport.remoteAddress()).reply());
        } else if (StanzaErrors.isRequest(element)) {
            transport.send(render(StanzaErrors.error(element, StanzaErrorCondition.NOT_AUTHORIZED, "bind a resource first")));
        }
    }

    private static boolean isSessionRequest(Stanza element) {
        XMLElement payload = element.getFirstInnerElement();
        return "iq".equals(element.getName()) && "set".equals(element.getAttributeValue("type"))
                && payload != null && NS_SESSION.equals(payload.getNamespaceURI()) && "session".equals(payload.getName());
    }

    private static Stanza sessionResult(Stanza request) {
        return StanzaBuilder.createIQStanza(null, null, IQStanzaType.RESULT, request.getAttributeValue("id")).build();
    }

    private void bind(IQStanza request, XMLElement bindElement) {
        String requested = null;
        List<XMLElement> resources = bindElement.getInnerElementsNamed("resource");
        if (!resources.isEmpty()) {
            StringBuilder text = new StringBuilder();
            for (XMLText t : resources.get(0).getInnerTexts()) {
                text.append(t.getText());
            }
            requested = text.toString().trim();
        }
        if (requested != null && !requested.isEmpty()) {
            try {
                requested = ResourcePrep.prepare(requested);
            } catch (StringPrepViolationException e) {
                requested = null;
            }
            if (requested == null || requested.isEmpty()
                    || requested.getBytes(StandardCharsets.UTF_8).length > 1023) {
                transport.send(render(StanzaErrors.error(request, StanzaErrorCondition.BAD_REQUEST,
                        "resource is not a valid resourcepart (RFC 6120 §7.7.2.1)")));
                return;
            }
            Entity wanted = new EntityImpl(session.getInitiatingEntity().getNode(), env.domain(), requested);
            // RFC 6120 §7.7.2.2: Parley's conflict policy is "override": the older session is told
            // <conflict/> and closed, the new one gets the resource it asked for.
            var replaced = env.registry().find(wanted);
            if (replaced.isEmpty() && overSessionCap(request)) {
                return;
            }
            replaced.ifPresent(old -> env.onResourceConflict().accept(old.session()));
        } else if (overSessionCap(request)) {
            return;
        }
        SessionRegistry.Binding binding = env.registry().bind(session, requested);
        fullJid = binding.fullJid();
        Stanza result = StanzaBuilder.createIQStanza(null, null, IQStanzaType.RESULT, request.getID())
                .startInnerElement("bind", NS_BIND).startInnerElement("jid", NS_BIND)
                .addText(fullJid.getFullQualifiedName()).endInnerElement().endInnerElement().build();
        transport.send(render(result));
        LOG.debug("bound {}", fullJid.getFullQualifiedName());
    }

    /**
     * Archive queries (XEP-0313 §4) are the most expensive request a client can repeat: at most
     * {@code limits.archive-queries-per-minute} per account; one more is answered with resource-constraint.
     */
    private boolean overArchiveBudget(Stanza element) {
        XMLElement query = element.getFirstInnerElement();
        if (!"iq".equals(element.getName()) || !"set".equals(element.getAttributeValue("type")) || query == null
                || !"query".equals(query.getName()) || query.getNamespaceURI() == null
                || !query.getNamespaceURI().startsWith("urn:xmpp:mam:")
                || guard.mayQueryArchive(fullJid.getBareJID().getFullQualifiedName())) {
            return false;
        }
        session.write(StanzaErrors.error(element, StanzaErrorCondition.RESOURCE_CONSTRAINT,
                "too many archive queries; at most " + guard.settings().archiveQueriesPerMinute() + " a minute"));
        refusedArchiveQuery = true;
        return true;
    }

    /**
     * RFC 6120 §7.6.2.1 (XEP-0205 §4.4): an account may have at most {@code limits.sessions-per-account}
     * resources bound at once (detached resumable sessions count); one more is refused with
     * {@code <resource-constraint/>}, type wait.
     */
    private boolean overSessionCap(IQStanza request) {
        int cap = guard.settings().sessionsPerAccount();
        if (env.registry().bindingsOf(session.getInitiatingEntity()).size() < cap) {
            return false;
        }
        LOG.info("bind refused for {}: already {} sessions", session.getInitiatingEntity(), cap);
        guard.hit("sessions-per-account");
        transport.send(render(StanzaErrors.error(request, StanzaErrorCondition.RESOURCE_CONSTRAINT,
                "this account already has " + cap + " sessions (the most allowed)")));
        return true;
    }

    public Entity fullJid() {
        return fullJid;
    }

    // ---- helpers ----

    private void sendIfAny(Stanza stanza) {
        if (stanza != null) {
            transport.send(render(stanza));
        }
    }

    private void sendIfAny(String xml) {
        if (xml != null && !xml.isEmpty()) {
            transport.send(xml);
        }
    }

    private static String render(Stanza stanza) {
        return new org.apache.vysper.xml.fragment.Renderer(stanza).getComplete();
    }

    private static String base64(byte[] data) {
        return data == null || data.length == 0 ? "=" : Base64.getEncoder().encodeToString(data);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '\'' -> out.append("&apos;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
