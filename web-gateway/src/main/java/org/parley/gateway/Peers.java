package org.parley.gateway;

import java.net.InetAddress;
import java.net.UnknownHostException;

import org.eclipse.jetty.server.Request;

/** Who is on the other end of an HTTP request, as far as the XMPP rules care. */
public final class Peers {

    private Peers() {
    }

    /** The client's IP address. */
    public static String address(Request request) {
        String address = Request.getRemoteAddr(request);
        return address == null ? "unknown" : address;
    }

    /**
     * True when the HTTP layer protects the connection: HTTPS, or a client on this machine (loopback), which
     * no one on the network can listen to. Streams over such a connection count as secure
     * ({@link org.parley.server.session.StreamTransport#isSecure()}): SASL PLAIN and in-band registration are
     * allowed, as over TLS. Note that a reverse proxy on the same machine makes every client look local; let
     * such a proxy terminate TLS and forward only HTTPS traffic.
     */
    public static boolean isProtected(Request request) {
        return request.isSecure() || isLoopback(address(request));
    }

    /** True for 127.0.0.0/8 and ::1 (an IP literal; no name lookup is made). */
    public static boolean isLoopback(String ipAddress) {
        if (ipAddress == null || ipAddress.isEmpty() || !ipAddress.matches("[0-9a-fA-F:.\\[\\]%]+")) {
            return false;
        }
        try {
            String literal = ipAddress.startsWith("[") ? ipAddress.substring(1, ipAddress.length() - 1) : ipAddress;
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException | StringIndexOutOfBoundsException e) {
            return false;
        }
    }
}
