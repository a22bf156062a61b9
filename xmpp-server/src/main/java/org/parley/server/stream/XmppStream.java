package org.parley.server.stream;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.server.SessionContext.SessionTerminationCause;
import org.apache.vysper.xmpp.server.SessionState;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.parley.server.bind.ResourceBinding;
import org.parley.server.caps.ServerCaps;
import org.parley.server.config.ServerSettings;
import org.parley.server.csi.ClientState;
import org.parley.server.guard.AddressGate;
import org.parley.server.guard.Guard;
import org.parley.server.guard.TokenBucket;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.parser.StreamErrorException;
import org.parley.server.parser.XmlStreamListener;
import org.parley.server.parser.XmlStreamParser;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.sasl.SaslNegotiation;
import org.parley.server.session.ParleySession;
import org.parley.server.session.StreamFraming;
import org.parley.server.session.StreamTransport;
import org.parley.server.sm.StreamManagementProtocol;
import org.parley.server.transport.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One client-to-server XML stream, from header to close: elements from the parser, checked against the
 * {@link StreamState} graph of RFC 6120 (§4 streams, §5 STARTTLS, §6 SASL, §7 resource binding), handed to
 * the unit of their protocol ({@link SaslNegotiation}, {@link ResourceBinding}, {@link StreamManagementProtocol})
 * and, once bound, as stanzas to Vysper's handlers through the {@link StanzaDispatcher}. Transport-independent:
 * TCP feeds it bytes ({@link #receive}); WebSocket and BOSH parse their own framing and {@link #deliver} what
 * they parsed. What the stream writes is shaped by the transport's {@link StreamFraming}.
 *
 * <p>All methods run on the session's serial executor, never concurrently.
 */
public final class XmppStream implements XmlStreamListener {

    private static final Logger LOG = LoggerFactory.getLogger(XmppStream.class);

    static final String NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
    static final String NS_REGISTER = "jabber:iq:register";
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final StreamEnvironment env;
    private final ParleySession session;
    private final StreamTransport transport;
    private final StreamFraming framing;
    private XmlStreamParser parser;
    private volatile int stanzaLimit;
    private boolean headerSent;
    /**
     * Where the negotiation stands; every move goes through {@link #moveTo}. Volatile: other threads ask
     * whether the stream ended (the XEP-0198 recorder of outbound stanzas, {@link #isEnded}).
     */
    private volatile StreamState state = StreamState.CONNECTED;
    private final SaslNegotiation sasl;
    private final ResourceBinding binding;
    private final StreamManagementProtocol streamManagement;
    /**
     * The {@link DurableWrites} marks of the stanzas handled since the last acknowledgement, as one. Volatile:
     * a resuming stream reads it from its own thread ({@link StreamManagementProtocol#whenHandledStored}).
     */
    private volatile DurableWrites.Mark unstored = DurableWrites.Mark.NONE;
    /**
     * Held while a bound stanza is handled, and by a resuming stream taking this one over (XEP-0198 §5): the
     * hand-over falls between two stanzas, so the count and the marks it takes include or exclude each one whole.
     */
    private final Object handling = new Object();
    private Entity fullJid;
    // ---- abuse protection (issue 17) ----
    private final Guard guard;
    /** This connection's unauthenticated slot of its address; null when refused. */
    private AddressGate.Ticket ticket;
    private ScheduledFuture<?> headerDeadline;
    private ScheduledFuture<?> authDeadline;
    private TokenBucket stanzaBucket;
    private boolean refusedArchiveQuery;

    public XmppStream(StreamEnvironment env, ParleySession session, StreamTransport transport) {
        this.env = env;
        this.session = session;
        this.transport = transport;
        this.framing = transport.framing();
        this.stanzaLimit = env.limits().preAuthStanzaBytes();
        this.parser = XmlStreamParser.forStream(this, stanzaLimit);
        this.guard = env.guard();
        this.sasl = new SaslNegotiation(env.sasl(), guard, env.metrics(), new SaslHost());
        this.binding = new ResourceBinding(env.domain(), env.registry(), env.onResourceConflict(), guard);
        this.streamManagement = new StreamManagementProtocol(session, env.resumption(), env.registry(),
                guard.settings().resumptionBuffer(), new StreamManagementHost());
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
            if (state == StreamState.CONNECTED) {
                guard.hit("header-timeout");
                streamError(StreamErrorCondition.CONNECTION_TIMEOUT,
                        "no stream header within " + limits.headerTimeout().toSeconds() + " s");
            }
        }), limits.headerTimeout());
        authDeadline = guard.schedule(() -> session.executor().execute(() -> {
            if (!state.isAuthenticated() && state != StreamState.CLOSED) {
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
        if (state == StreamState.CLOSED) {
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
        if (state == StreamState.CLOSED) {
            return;
        }
        if (!state.awaitsHeader()) {
            // Only framing transports can express this (TCP's parser reads a second header as a stanza).
            throw new StreamErrorException(StreamErrorCondition.BAD_FORMAT, "the stream is already open");
        }
        moveTo(state == StreamState.AUTH_RESTART ? StreamState.AUTHENTICATED : StreamState.NEGOTIATING);
        cancel(headerDeadline);
        sendHeader();
        String to = attributes.get("to");
        if (to != null && !to.equalsIgnoreCase(env.domain())) {
            // The client's 'to' is echoed (bounded): the error's text is escaped like any other (RFC 6120 §4.9.2).
            throw new StreamErrorException(StreamErrorCondition.HOST_UNKNOWN, "this server serves " + env.domain()
                    + ", not '" + (to.length() > 64 ? to.substring(0, 64) + "…" : to) + "'");
        }
        String version = attributes.get("version");
        if (version == null || !version.startsWith("1.")) {
            throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_VERSION, "XMPP 1.0 is required");
        }
        transport.send(framing.features(features()));
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

    /** The features of this point of the negotiation (RFC 6120 §4.3.2), each built by the unit it belongs to. */
    private List<XMLElement> features() {
        List<XMLElement> features = new ArrayList<>();
        boolean secure = transport.isSecure();
        if (state == StreamState.AUTHENTICATED) {
            features.addAll(ResourceBinding.features());
            features.add(feature("ver", "urn:xmpp:features:rosterver")); // RFC 6121 §2.6
            features.add(feature("sub", "urn:xmpp:features:pre-approval")); // RFC 6121 §3.4
            features.add(StreamManagementProtocol.feature()); // XEP-0198
            if (session.clientState() != null) {
                features.add(feature("csi", ClientState.NS)); // XEP-0352 §6
            }
        } else {
            if (!secure && transport.canStartTls()) {
                XMLElementBuilder starttls = new XMLElementBuilder("starttls", NS_TLS);
                if (env.starttlsRequired()) {
                    starttls.startInnerElement("required", NS_TLS).endInnerElement();
                }
                features.add(starttls.build());
            }
            if (secure || !env.starttlsRequired()) {
                features.add(sasl.feature());
                if (secure && env.registration().enabled()) {
                    features.add(feature("register", "http://jabber.org/features/iq-register")); // XEP-0077 §9
                }
            }
        }
        ServerCaps caps = ServerCaps.of(session.getServerRuntimeContext());
        XMLElement capsFeature = caps == null ? null : caps.streamFeature(); // XEP-0115 §6.3
        if (capsFeature != null) {
            features.add(capsFeature);
        }
        return features;
    }

    private static XMLElement feature(String name, String namespace) {
        return new XMLElementBuilder(name, namespace).build();
    }

    @Override
    public void streamClosed() {
        // Answer the peer's closing tag at once (RFC 6120 §4.4); Vysper 0.7 never did.
        end(SessionTerminationCause.CLIENT_BYEBYE, framing.close());
    }

    /** Sends a stream error and closes (RFC 6120 §4.9.1.1). */
    public void streamError(StreamErrorCondition condition, String text) {
        if (state == StreamState.CLOSED) {
            return;
        }
        sendHeader();
        LOG.info("stream error {} for {}{}", condition.elementName(), describePeer(), text == null ? "" : ": " + text);
        // Built as an element and rendered as bytes: the text is escaped as XML requires (RFC 6120 §4.9.2).
        byte[] error = framing.error(condition, text);
        if (error != null) {
            transport.send(error);
        }
        end(SessionTerminationCause.STREAM_ERROR, framing.close());
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
        if (state == StreamState.CLOSED) {
            return;
        }
        moveTo(StreamState.CLOSED);
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
        boolean lost = cause == SessionTerminationCause.CONNECTION_ABORT && fullJid != null
                && session.getState() == SessionState.AUTHENTICATED;
        if (streamManagement.streamEnded(lost)) {
            return; // XEP-0198 §5: detached, the session waits for its client to resume it
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
        return state == StreamState.CLOSED;
    }

    /** The one way the state changes: an edge the graph of {@link StreamState} lacks is a defect here. */
    private void moveTo(StreamState target) {
        if (!state.canMoveTo(target)) {
            throw new IllegalStateException("stream state " + state + " cannot move to " + target);
        }
        state = target;
    }

    private String describePeer() {
        if (fullJid != null) {
            return fullJid.getFullQualifiedName();
        }
        Entity user = session.getInitiatingEntity();
        return user != null ? user.getFullQualifiedName() : transport.remoteAddress();
    }

    // ---- first-level elements ----

    /**
     * A first-level element, checked against the state: before the header (or a restart's header) nothing may
     * come; while the throttle holds an authentication outcome nothing may come; then each state takes what
     * RFC 6120 allows in it, and answers the rest with the error it names.
     */
    @Override
    public void element(Stanza element) throws StreamErrorException {
        switch (state) {
            case CLOSED -> {
            }
            case CONNECTED, TLS_RESTART, AUTH_RESTART ->
                    // Only framing transports can get here: TCP's parser demands the header first.
                    throw new StreamErrorException(StreamErrorCondition.INVALID_NAMESPACE,
                            "the stream is not open: a stream header must come first");
            case AUTH_HELD -> throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION,
                    "wait for the outcome of authentication");
            case NEGOTIATING, AUTHENTICATING -> negotiating(element);
            case AUTHENTICATED -> {
                if (!streamLevel(element)) {
                    beforeBind(element);
                }
            }
            case BOUND -> {
                if (!streamLevel(element)) {
                    synchronized (handling) {
                        if (state == StreamState.BOUND) { // not handed over meanwhile: the new stream has it
                            // One write batch per stanza (issue 18): what its handling writes to connections (a
                            // 1:1 delivery, a presence broadcast) is flushed, or its event loop woken, once at its
                            // end, on this thread. Per stanza, not per task: a task may hold many stanzas, and a
                            // delivery must not wait for the handling of the ones after it.
                            WriteBatch.run(() -> bound(element));
                        }
                    }
                }
            }
        }
    }

    /** Before authentication: STARTTLS (§5), SASL (§6), in-band registration over TLS (XEP-0077). */
    private void negotiating(Stanza element) throws StreamErrorException {
        String ns = element.getNamespaceURI();
        if (NS_TLS.equals(ns) && "starttls".equals(element.getName())) {
            startTls();
            return;
        }
        if (!transport.isSecure() && env.starttlsRequired()) {
            throw new StreamErrorException(StreamErrorCondition.POLICY_VIOLATION,
                    "STARTTLS is required (RFC 6120 §5.3.1)");
        }
        if (SaslNegotiation.NS.equals(ns)) {
            if (!SaslNegotiation.handles(element)) {
                throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_STANZA_TYPE,
                        "unknown SASL element <" + element.getName() + "/>");
            }
            sasl.handle(element);
            saslSettled();
            return;
        }
        if ("iq".equals(element.getName()) && isRegistration(element) && transport.isSecure()) {
            sendIfAny(env.registration().handle(element, null, transport.remoteAddress()).reply());
            return;
        }
        throw new StreamErrorException(StreamErrorCondition.NOT_AUTHORIZED, "authenticate first");
    }

    /** After authentication, the nonzas of XEP-0198 and XEP-0352; true when {@code element} was one. */
    private boolean streamLevel(Stanza element) throws StreamErrorException {
        String ns = element.getNamespaceURI();
        if (StreamManagementProtocol.NS.equals(ns)) {
            if (!StreamManagementProtocol.handles(element)) {
                throw new StreamErrorException(StreamErrorCondition.UNSUPPORTED_STANZA_TYPE,
                        "unknown stream management element <" + element.getName() + "/>");
            }
            streamManagement.handle(element);
            return true;
        }
        if (ClientState.NS.equals(ns) && session.clientState() != null) {
            clientStateIndication(element);
            return true;
        }
        return false;
    }

    /** A stanza of a bound resource: registration, the guard's rates, then the dispatcher. */
    private void bound(Stanza element) throws StreamErrorException {
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
            streamManagement.handled();
            return;
        }
        // Whatever was queued for this session outside its stream's stanzas is not this stanza's: drop it,
        // so the mark taken below spans this stanza's writes only.
        env.durableWrites().takeMark(session);
        env.metrics().stanzaIn(element.getName());
        if (ResourceBinding.isSessionRequest(element) && addressedToServer(element)) {
            // RFC 3921 §3 session establishment is advertised as <optional/> (RFC 6121 Appendix E), but clients
            // such as Strophe.js still send it after binding, and fail the login unless it succeeds.
            session.write(ResourceBinding.sessionResult(element)); // counted by stream management like any other reply
        } else {
            env.dispatcher().dispatch(session, fullJid, element);
        }
        unstored = unstored.through(env.durableWrites().takeMark(session));
        streamManagement.handled();
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

    // ---- stream management (XEP-0198): what the protocol unit needs from this stream ----

    private final class StreamManagementHost implements StreamManagementProtocol.Host {
        @Override
        public void send(XMLElement element) {
            XmppStream.this.send(element);
        }

        @Override
        public boolean isEnded() {
            return state == StreamState.CLOSED;
        }

        @Override
        public Entity fullJid() {
            return fullJid;
        }

        @Override
        public void resumed(Entity resumedJid) {
            fullJid = resumedJid;
            moveTo(StreamState.BOUND);
        }

        @Override
        public CompletableFuture<Boolean> takeStored() {
            CompletableFuture<Boolean> stored = env.durableWrites().whenStored(unstored);
            unstored = DurableWrites.Mark.NONE;
            return stored;
        }

        @Override
        public CompletableFuture<Boolean> whenStored() {
            return env.durableWrites().whenStored(unstored);
        }

        @Override
        public void fail(StreamManagementProtocol.Violation violation) {
            streamError(switch (violation) {
                case UNMATCHED_ACK -> StreamErrorCondition.UNDEFINED_CONDITION;
                case TOO_MANY_PENDING_ACKS -> StreamErrorCondition.POLICY_VIOLATION;
                case NOT_STORED -> StreamErrorCondition.INTERNAL_SERVER_ERROR;
            }, violation.text());
        }

        @Override
        public void abort() {
            transport.abort();
        }

        @Override
        public void handOver(org.apache.vysper.xmpp.writer.StanzaWriter next) {
            // After the stanza being handled, if any: handled but not counted in the <resumed h/> the new stream
            // is about to send, the client would send it again (§5), and it would be delivered twice.
            synchronized (handling) {
                state = StreamState.CLOSED; // from wherever it was: the resuming stream takes the session over
                session.handOverTo(next);
            }
            transport.close();
        }

        @Override
        public void endSession() {
            XmppStream.this.endSession(SessionTerminationCause.CONNECTION_ABORT);
        }

        @Override
        public String describePeer() {
            return XmppStream.this.describePeer();
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
            end(SessionTerminationCause.STREAM_ERROR, StanzaSerializer.toXml(feature("failure", NS_TLS)), framing.close());
            return;
        }
        // RFC 6120 §5.4.3.3: after <proceed/>, TLS starts and the stream restarts from scratch.
        moveTo(StreamState.TLS_RESTART);
        restartParser(env.limits().preAuthStanzaBytes());
        transport.startTls(StanzaSerializer.toXml(feature("proceed", NS_TLS)));
    }

    /** A stream restart (RFC 6120 §4.3.3): the client opens a new stream, which gets a new header. */
    private void restartParser(int limit) {
        headerSent = false;
        stanzaLimit = limit;
        parser = XmlStreamParser.forStream(this, limit);
    }

    // ---- SASL (RFC 6120 §6): what the negotiation needs from this stream ----

    private final class SaslHost implements SaslNegotiation.Host {
        @Override
        public String remoteAddress() {
            return transport.remoteAddress();
        }

        @Override
        public boolean isSecure() {
            return transport.isSecure();
        }

        @Override
        public void send(XMLElement element) {
            XmppStream.this.send(element);
        }

        @Override
        public void authenticated(String username) {
            Entity user = new EntityImpl(username, env.domain(), null);
            session.setInitiatingEntity(user);
            session.setState(SessionState.AUTHENTICATED);
            cancel(authDeadline);
            if (ticket != null) {
                ticket.authenticated();
            }
            stanzaBucket = guard.stanzaBucket();
            LOG.info("authenticated {} from {}", user.getFullQualifiedName(), transport.remoteAddress());
            moveTo(StreamState.AUTH_RESTART);
            restartParser(env.limits().stanzaBytes());
        }

        @Override
        public void hold(long delayMillis, Runnable outcome) {
            moveTo(StreamState.AUTH_HELD);
            guard.scheduleMillis(() -> session.executor().execute(() -> {
                if (state == StreamState.AUTH_HELD) {
                    moveTo(sasl.inProgress() ? StreamState.AUTHENTICATING : StreamState.NEGOTIATING);
                }
                deliver(ignored -> {
                    outcome.run();
                    saslSettled();
                });
            }), delayMillis);
        }

        @Override
        public void refuse(String text) {
            streamError(StreamErrorCondition.POLICY_VIOLATION, text);
        }
    }

    /** After a SASL element or outcome: AUTHENTICATING while a mechanism awaits a response, else NEGOTIATING. */
    private void saslSettled() {
        if (state == StreamState.NEGOTIATING || state == StreamState.AUTHENTICATING) {
            moveTo(sasl.inProgress() ? StreamState.AUTHENTICATING : StreamState.NEGOTIATING);
        }
    }

    // ---- authenticated, not bound (RFC 6120 §7) ----

    private void beforeBind(Stanza element) throws StreamErrorException {
        if (!"iq".equals(element.getName())) {
            throw new StreamErrorException(StreamErrorCondition.NOT_AUTHORIZED, "bind a resource first");
        }
        XMPPCoreStanza iq = XMPPCoreStanza.getWrapper(element);
        XMLElement payload = element.getFirstInnerElement();
        if (!(iq instanceof IQStanza request) || payload == null) {
            throw new StreamErrorException(StreamErrorCondition.NOT_AUTHORIZED, "bind a resource first");
        }
        if (ResourceBinding.isBindRequest(request, payload)) {
            Entity bound = binding.bind(session, request, payload, this::sendIfAny);
            if (bound != null) {
                fullJid = bound;
                moveTo(StreamState.BOUND);
            }
        } else if (ResourceBinding.isSessionRequest(element)) {
            send(ResourceBinding.sessionResult(element));
        } else if (isRegistration(element)) {
            Entity user = session.getInitiatingEntity();
            sendIfAny(env.registration().handle(element, user, transport.remoteAddress()).reply());
        } else if (StanzaErrors.isRequest(element)) {
            send(StanzaErrors.error(element, StanzaErrorCondition.NOT_AUTHORIZED, "bind a resource first"));
        }
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

    public Entity fullJid() {
        return fullJid;
    }

    // ---- helpers ----

    /** Writes an element the stream itself made (no stream management counting: that is for stanzas). */
    private void send(XMLElement element) {
        transport.send(StanzaSerializer.toBytes(element));
    }

    private void sendIfAny(Stanza stanza) {
        if (stanza != null) {
            send(stanza);
        }
    }

    private void sendIfAny(String xml) {
        if (xml != null && !xml.isEmpty()) {
            transport.send(xml);
        }
    }
}
