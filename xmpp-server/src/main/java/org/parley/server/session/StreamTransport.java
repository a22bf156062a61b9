package org.parley.server.session;

/**
 * What an {@code XmppStream} needs from the connection under it: TCP (with STARTTLS), WebSocket and BOSH
 * (the web gateway). Implementations must keep the order of {@link #send} calls.
 */
public interface StreamTransport {

    /** Writes serialised XML to the peer (stream-level elements, made as text). */
    void send(String xml);

    /**
     * Writes a stanza serialised once into UTF-8 (issue 18: rendered once, spliced per recipient for a room),
     * in order with {@link #send(String)}. The array is the transport's from now on and never changed by the
     * caller. By default decoded and sent as text; transports that write bytes override this.
     */
    default void send(byte[] utf8) {
        send(new String(utf8, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Flushes what was sent and closes the connection. Idempotent. */
    void close();

    /**
     * Drops the connection at once, without a closing handshake or waiting for pending output: the peer
     * stopped reading or acknowledging (issue 17). The stream sees a lost connection, so a resumable session
     * stays resumable (XEP-0198 §5). By default the same as {@link #close}.
     */
    default void abort() {
        close();
    }

    /** True when the connection is encrypted, or runs under an HTTP layer trusted to be (loopback, HTTPS). */
    boolean isSecure();

    /** True when {@link #startTls} can upgrade this connection (plain TCP). */
    boolean canStartTls();

    /**
     * Sends {@code proceed} unencrypted and then switches the connection to TLS (RFC 6120 §5.4.3.3).
     * Bytes read afterwards are the decrypted ones.
     */
    void startTls(String proceed);

    /** The peer's IP address, for throttling and logs. */
    String remoteAddress();

    /** The transport's name in metrics: {@code tcp}, {@code websocket} or {@code bosh}. */
    default String kind() {
        return "tcp";
    }

    /** How stream-level elements are written on this transport; {@link StreamFraming#TCP} unless overridden. */
    default StreamFraming framing() {
        return StreamFraming.TCP;
    }
}
