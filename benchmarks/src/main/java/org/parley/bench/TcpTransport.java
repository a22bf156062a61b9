package org.parley.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import javax.net.ssl.SSLSocket;

/**
 * XMPP over TCP (RFC 6120) with STARTTLS. Until {@link #listen} it reads synchronously in the caller's
 * thread (so the TLS upgrade can replace the streams); then one reader thread per connection delivers
 * elements as they complete.
 */
final class TcpTransport extends Transport {
    private static final int SOCKET_BUFFER = 16 * 1024;
    private Socket socket;
    private Reader in;
    private OutputStream out;
    private final StanzaSplitter splitter = new StanzaSplitter();
    private final Deque<String> pending = new ArrayDeque<>();
    private final char[] chunk = new char[8192];
    private Thread reader;

    TcpTransport(String host, int port) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setReceiveBufferSize(SOCKET_BUFFER);
        socket.setSendBufferSize(SOCKET_BUFFER);
        socket.connect(new InetSocketAddress(host, port), 10_000);
        setStreams(socket.getInputStream(), socket.getOutputStream());
    }

    private void setStreams(InputStream is, OutputStream os) {
        in = new InputStreamReader(is, StandardCharsets.UTF_8);
        out = os;
    }

    @Override
    String openStream(String domain) throws IOException {
        splitter.reset();
        pending.clear();
        send("<?xml version='1.0'?><stream:stream to='" + domain + "' version='1.0' xml:lang='en'"
                + " xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
        return next(15_000);
    }

    @Override
    boolean needsStartTls() {
        return true;
    }

    @Override
    void startTls(String domain) throws IOException {
        SSLSocket tls = (SSLSocket) Net.TRUST_ALL.getSocketFactory()
                .createSocket(socket, domain, socket.getPort(), true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        socket = tls;
        setStreams(tls.getInputStream(), tls.getOutputStream());
    }

    @Override
    void send(String xml) throws IOException {
        byte[] b = xml.getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            out.write(b);
            out.flush();
        }
    }

    @Override
    protected String pollInbox(long timeoutMs) throws InterruptedException, IOException {
        if (reader != null) {
            return super.pollInbox(timeoutMs);
        }
        socket.setSoTimeout((int) Math.max(1, timeoutMs));
        while (pending.isEmpty()) {
            int n;
            try {
                n = in.read(chunk);
            } catch (java.net.SocketTimeoutException e) {
                return null;
            }
            if (n < 0) {
                closed = true;
                return null;
            }
            pending.addAll(splitter.feed(new String(chunk, 0, n)));
            if (splitter.closed()) {
                closed = true;
            }
        }
        return pending.poll();
    }

    @Override
    void listen(java.util.function.Consumer<String> l) {
        super.listen(l);
        while (!pending.isEmpty()) {
            l.accept(pending.poll());
        }
        try {
            socket.setSoTimeout(0);
        } catch (IOException e) {
            closed = true;
            return;
        }
        reader = new Thread(this::readLoop, "bench-tcp-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop() {
        char[] c = new char[8192];
        try {
            int n;
            while ((n = in.read(c)) >= 0) {
                for (String s : splitter.feed(new String(c, 0, n))) {
                    deliver(s);
                }
                if (splitter.closed()) {
                    break;
                }
            }
        } catch (IOException e) {
            // connection ended
        } finally {
            closed = true;
        }
    }

    @Override
    public void close() {
        try {
            if (!closed) {
                send("</stream:stream>");
            }
        } catch (IOException ignored) {
            // already gone
        }
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Drops the connection without ending the stream, as a lost network would (the soak test's drops). */
    void abort() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
