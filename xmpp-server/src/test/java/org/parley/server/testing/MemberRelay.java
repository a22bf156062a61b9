package org.parley.server.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay in front of one cluster member, for partition tests that need no root and no firewall: the member
 * listens on its bind address and announces the relay's address as its public address, so every connection
 * another member opens to it passes through here. Members bind their outgoing connections to their own
 * loopback address (127.0.0.11, .12, ... — Linux routes all of 127/8 to lo), so the relay knows which member a
 * connection comes from; {@link #block} cuts the links from some of them and refuses their new ones until
 * {@link #unblock}. A relay in front of each member, each blocking the other side's addresses, is a clean split
 * in both directions.
 */
public final class MemberRelay implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<String> blocked = ConcurrentHashMap.newKeySet();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** Listens on {@code host}:{@code port} and relays to {@code targetHost}:{@code targetPort}. */
    public MemberRelay(String host, int port, String targetHost, int targetPort) throws IOException {
        this.server = new ServerSocket(port, 50, InetAddress.getByName(host));
        this.target = new InetSocketAddress(targetHost, targetPort);
        Thread acceptor = new Thread(this::accept, "member-relay-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** {@code host:port} of the relay: the member's public address. */
    public String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    /** Cuts the links from these source addresses and refuses new ones. */
    public void block(Set<String> sources) {
        blocked.addAll(sources);
        for (Socket s : sockets) {
            if (s.getInetAddress() != null && blocked.contains(s.getInetAddress().getHostAddress())) {
                closeQuietly(s);
            }
        }
    }

    /** Lets every source through again. */
    public void unblock() {
        blocked.clear();
    }

    private void accept() {
        while (!closed) {
            Socket in;
            try {
                in = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (blocked.contains(in.getInetAddress().getHostAddress())) {
                closeQuietly(in);
                continue;
            }
            Socket out = new Socket();
            try {
                out.connect(target, 5_000);
            } catch (IOException e) {
                closeQuietly(in);
                closeQuietly(out);
                continue;
            }
            // Both sockets are tracked under the incoming one's source: closing either ends the link.
            sockets.add(in);
            pump(in, out);
            pump(out, in);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream input = from.getInputStream(); OutputStream output = to.getOutputStream()) {
                for (int n; (n = input.read(buffer)) >= 0; ) {
                    output.write(buffer, 0, n);
                    output.flush();
                }
            } catch (IOException e) {
                // cut, or closed by either end
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
            }
        }, "member-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // already closed
        }
        sockets.forEach(MemberRelay::closeQuietly);
    }
}
