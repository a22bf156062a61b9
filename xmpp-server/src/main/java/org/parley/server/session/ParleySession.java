package org.parley.server.session;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.server.AbstractSessionContext;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionState;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.writer.StanzaWriter;
import org.parley.server.routing.SerialExecutor;
import org.parley.server.stream.StreamTransport;

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

    public ParleySession(ServerRuntimeContext runtime, SessionStateHolder state, StreamTransport transport,
                         SerialExecutor executor) {
        super(runtime, state);
        this.state = state;
        this.transport = transport;
        this.executor = executor;
        state.setState(SessionState.INITIATED);
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
        if (!closed) {
            transport.send(new Renderer(stanza).getComplete());
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
