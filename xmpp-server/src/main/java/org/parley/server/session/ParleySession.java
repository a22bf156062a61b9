package org.parley.server.session;

import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.server.AbstractSessionContext;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionState;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.writer.StanzaWriter;
import org.parley.server.csi.ClientState;
import org.parley.server.metrics.ServerMetrics;
import org.parley.server.render.PrerenderedStanza;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.routing.SerialExecutor;
import org.parley.server.routing.UserScopedRuntime;

/**
 * One client session as Vysper's handlers see it, whatever the transport. Stanzas written to it are
 * rendered and handed to the transport in call order. Its {@link #executor()} serialises everything the
 * session does, so its stanzas are processed in arrival order (RFC 6120 §10.1).
 */
public final class ParleySession extends AbstractSessionContext implements StanzaWriter {

    private final StreamTransport transport;
    private final SerialExecutor executor;
    private final SessionStateHolder state;
    private volatile boolean closed;
    private volatile java.util.function.Predicate<Stanza> recorder;
    /** Where this session's output goes once a resumed stream took it over: its session, or another node. */
    private volatile StanzaWriter successor;
    private final ServerMetrics metrics;
    private final Object outputLock = new Object();
    private java.util.List<Stanza> held;
    /** XEP-0352 state, when the server offers it; idle (sending everything) until the client goes inactive. */
    private volatile ClientState clientState;

    public ParleySession(ServerRuntimeContext runtime, SessionStateHolder state, StreamTransport transport,
                         SerialExecutor executor) {
        this(runtime, state, transport, executor, null);
    }

    /** @param metrics counts every stanza written to the client; null counts nothing */
    public ParleySession(ServerRuntimeContext runtime, SessionStateHolder state, StreamTransport transport,
                         SerialExecutor executor, ServerMetrics metrics) {
        super(runtime, state);
        this.metrics = metrics;
        this.state = state;
        this.transport = transport;
        this.executor = executor;
        state.setState(SessionState.INITIATED);
    }

    /**
     * The session's account is known (authenticated): from now on the session's runtime, which Vysper's
     * handlers use for its resource look-ups, is scoped to that account (explicit, not a thread-local).
     */
    @Override
    public void setInitiatingEntity(org.apache.vysper.xmpp.addressing.Entity user) {
        super.setInitiatingEntity(user);
        serverRuntimeContext = UserScopedRuntime.of(serverRuntimeContext, user);
    }

    public SerialExecutor executor() {
        return executor;
    }

    public StreamTransport transport() {
        return transport;
    }

    /** Moves the session through Vysper's states as Parley's stream negotiation advances. */
    public void setState(SessionState newState) {
        state.setState(newState);
    }

    public SessionStateHolder stateHolder() {
        return state;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public StanzaWriter getResponseWriter() {
        return this;
    }

    @Override
    public void write(Stanza stanza) {
        StanzaWriter next = successor;
        if (next != null) {
            next.write(stanza); // the session was resumed on another stream (XEP-0198 §5)
            return;
        }
        synchronized (outputLock) {
            if (held != null) {
                held.add(stanza);
                return;
            }
        }
        ClientState csi = clientState;
        if (csi != null) {
            csi.write(stanza, this::send); // may hold it while the client is inactive
            return;
        }
        send(stanza);
    }

    /** Offers Client State Indication (XEP-0352) on this session, holding at most {@code capacity} stanzas. */
    public void offerClientState(int capacity) {
        clientState = new ClientState(capacity);
    }

    /** The session's XEP-0352 state, or null when the server does not offer it. */
    public ClientState clientState() {
        return clientState;
    }

    /** The client went {@code <active/>} again: what was held goes out, in order. */
    public void clientActive() {
        ClientState csi = clientState;
        if (csi != null) {
            csi.active(this::send);
        }
    }

    private void send(Stanza stanza) {
        StanzaWriter next;
        // Recorded, or passed on, atomically with respect to handOverTo: a stanza recorded just after a resuming
        // stream took the queue over (or neither recorded nor passed on) would be lost (XEP-0198 §5).
        synchronized (outputLock) {
            next = successor;
            java.util.function.Predicate<Stanza> r = recorder;
            if (next == null && r != null) {
                r.test(stanza);
            }
        }
        if (next != null) {
            next.write(stanza); // handed over since write() looked
            return;
        }
        if (!closed) {
            // Serialised once into bytes; a room message's copies only splice in their 'to' (issue 18).
            transport.send(stanza instanceof PrerenderedStanza copy ? copy.bytes() : StanzaSerializer.toBytes(stanza));
            if (metrics != null) {
                metrics.stanzaOut(stanza.getName());
            }
        }
    }

    /** Holds back whatever is written until {@link #releaseOutput}: a resumption is being set up. */
    public void holdOutput() {
        synchronized (outputLock) {
            held = new java.util.ArrayList<>();
        }
    }

    /** Sends {@code first}, then what was held back, in order, and writes directly again. */
    public void releaseOutput(java.util.List<Stanza> first) {
        synchronized (outputLock) {
            first.forEach(this::send);
            java.util.List<Stanza> waiting = held;
            held = null;
            if (waiting != null) {
                waiting.forEach(this::send);
            }
        }
    }

    /** Stream management (XEP-0198): every stanza written is also handed to {@code recorder} first. */
    public void recordOutbound(java.util.function.Predicate<Stanza> recorder) {
        this.recorder = recorder;
    }

    /** From now on, whatever is written to this (old) session goes to {@code next}: a resumed stream took it over. */
    public void handOverTo(StanzaWriter next) {
        synchronized (outputLock) {
            this.recorder = null;
            this.successor = next;
        }
        ClientState csi = clientState;
        if (csi != null) {
            csi.flush(next::write); // what an inactive client had not been sent yet follows it to the new stream
        }
    }

    /** Writes already serialised XML (stream-level elements). */
    public void writeRaw(String xml) {
        if (!closed) {
            transport.send(xml);
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public void switchToTLS(boolean delayed, boolean clientTls) {
        // Parley's transports negotiate TLS themselves (StreamTransport.startTls).
    }

    @Override
    public void setIsReopeningXMLStream() {
        // Stream restarts are handled by XmppStream, which replaces its parser.
    }
}
