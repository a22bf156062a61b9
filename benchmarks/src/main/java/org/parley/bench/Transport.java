package org.parley.bench;

import java.io.IOException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One client connection to a server, carrying whole top-level XML elements: TCP (with STARTTLS), RFC 7395
 * WebSocket or XEP-0124/0206 BOSH. During login the caller pulls elements with {@link #next}; afterwards
 * {@link #listen} hands every element to a callback on the transport's own thread, so that a receive
 * timestamp is taken as soon as the element is complete.
 */
abstract class Transport implements AutoCloseable {
    private final LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
    private volatile Consumer<String> listener;
    protected volatile boolean closed;

    /** Opens (or, after TLS or SASL, restarts) the XML stream and returns the stream features element. */
    abstract String openStream(String domain) throws IOException;

    /** Sends one element (or, for TCP, any XML text). */
    abstract void send(String xml) throws IOException;

    /** Ends the stream and the connection without waiting for the server. */
    @Override
    public abstract void close();

    /** Whether this transport can negotiate STARTTLS (only TCP; web transports rely on the HTTP layer). */
    boolean needsStartTls() {
        return false;
    }

    /** Upgrades the connection to TLS after {@code <proceed/>} (TCP only). */
    void startTls(String domain) throws IOException {
        throw new UnsupportedOperationException();
    }

    /** Called by subclasses with every complete top-level element received. */
    protected final void deliver(String element) {
        Consumer<String> l = listener;
        if (l != null) {
            l.accept(element);
        } else {
            inbox.add(element);
        }
    }

    /** The next received element, waiting at most timeoutMs. */
    String next(long timeoutMs) throws IOException {
        try {
            String s = pollInbox(timeoutMs);
            if (s == null) {
                throw new IOException(closed ? "connection closed" : "timed out after " + timeoutMs + " ms");
            }
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Overridden by transports that read synchronously until {@link #listen} starts their reader. */
    protected String pollInbox(long timeoutMs) throws InterruptedException, IOException {
        return inbox.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** From now on every element goes to l (including any already queued). */
    void listen(Consumer<String> l) {
        listener = l;
        String s;
        while ((s = inbox.poll()) != null) {
            l.accept(s);
        }
    }

    boolean isClosed() {
        return closed;
    }
}
