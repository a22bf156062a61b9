package org.parley.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A protocol-transcript client: raw bytes over a real socket, reading until the server's output contains
 * what the test expects or a deadline passes. Lets tests send what no well-behaved library would.
 */
public final class RawClient implements AutoCloseable {

    private static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);

    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final StringBuilder received = new StringBuilder();

    public RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /**
     * Connects from another loopback address ({@code 127.0.0.2}, say: all of 127/8 is local on Linux), so that a
     * test can act as a second client address.
     */
    public RawClient(int port, String localAddress) throws IOException {
        socket = new Socket();
        socket.bind(new java.net.InetSocketAddress(localAddress, 0));
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /**
     * Connects with a fixed, small socket receive buffer (no kernel autotuning): a client that stops reading
     * then holds back the server's output after a few kilobytes instead of megabytes.
     */
    public static RawClient withReceiveBuffer(int port, int receiveBufferBytes) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(receiveBufferBytes);
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port));
        return new RawClient(s);
    }

    private RawClient(Socket connected) throws IOException {
        socket = connected;
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Connects with TLS from the first byte (XEP-0368 Direct TLS). */
    public static RawClient directTls(int port, SSLContext context) throws IOException {
        RawClient client = new RawClient(port);
        client.upgradeToTls(context);
        return client;
    }

    public void upgradeToTls(SSLContext context) throws IOException {
        SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
        ssl.startHandshake();
        socket = ssl;
        in = ssl.getInputStream();
        out = ssl.getOutputStream();
    }

    /** The TLS session of this connection, or null before TLS. */
    public javax.net.ssl.SSLSession tlsSession() {
        return socket instanceof SSLSocket s ? s.getSession() : null;
    }

    public String negotiatedProtocol() {
        return socket instanceof SSLSocket s ? s.getSession().getProtocol() : "none";
    }

    public RawClient send(String xml) throws IOException {
        out.write(xml.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return this;
    }

    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /**
     * Connects with Direct TLS, authenticates {@code user} with PLAIN and binds a resource: a session
     * ready for stanzas, with nothing of the negotiation left in {@link #received()}.
     */
    public static RawClient loggedIn(TestServer server, String user) throws IOException {
        return loggedIn(server, user, directTls(server.server().directTlsPort(), server.clientSslContext()));
    }

    /** {@link #loggedIn(TestServer, String)} on a connection already made (and upgraded to TLS). */
    public static RawClient loggedIn(TestServer server, String user, RawClient client) throws IOException {
        client.openStream().await("</stream:features>");
        String plain = java.util.Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestServer.PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
        client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>")
                .await("<success");
        client.clear();
        client.openStream().await("</stream:features>");
        client.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                + "<resource>raw</resource></bind></iq>").await("</iq>");
        client.clear();
        return client;
    }

    /** Opens a client stream to localhost. */
    public RawClient openStream() throws IOException {
        return send("<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xml:lang='en' "
                + "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>");
    }

    /** Reads until {@code expected} has appeared in everything received since the last {@link #clear}. */
    public String await(String expected) throws IOException {
        return await(expected, DEFAULT_WAIT);
    }

    public String await(String expected, Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        byte[] buffer = new byte[8192];
        while (received.indexOf(expected) < 0) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new AssertionError("did not receive '" + expected + "' within " + wait + "; got: " + received);
            }
            socket.setSoTimeout((int) Math.max(1, left));
            int n;
            try {
                n = in.read(buffer);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (n < 0) {
                throw new AssertionError("connection closed before '" + expected + "'; got: " + received);
            }
            received.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        return received.toString();
    }

    /** True when the server closes the connection within the wait. */
    public boolean awaitClosed(Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        byte[] buffer = new byte[8192];
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            socket.setSoTimeout((int) Math.max(1, left));
            try {
                int n = in.read(buffer);
                if (n < 0) {
                    return true;
                }
                received.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            } catch (SocketTimeoutException e) {
                // keep waiting
            } catch (IOException e) {
                return true; // reset by peer counts as closed
            }
        }
    }

    public String received() {
        return received.toString();
    }

    public void clear() {
        received.setLength(0);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
