package org.parley.server.guard;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The key per-address limits count under: an IPv4 address as it is, an IPv6 address by its /64 prefix, since
 * one subscriber usually holds a whole /64 and could otherwise pick a fresh address for every attempt.
 */
public final class AddressKey {

    private AddressKey() {
    }

    /** {@code address} (a literal IP, as transports report it) reduced to what limits count by. */
    public static String of(String address) {
        if (address == null || address.isEmpty()) {
            return "?";
        }
        if (address.indexOf(':') < 0) {
            return address; // IPv4 (or "unknown"): no parsing, no lookup
        }
        try {
            String literal = address.startsWith("[") && address.endsWith("]")
                    ? address.substring(1, address.length() - 1) : address;
            int zone = literal.indexOf('%');
            if (zone >= 0) {
                literal = literal.substring(0, zone);
            }
            InetAddress parsed = InetAddress.getByName(literal); // a literal: never a DNS lookup
            if (!(parsed instanceof Inet6Address)) {
                return parsed.getHostAddress(); // IPv4-mapped
            }
            byte[] b = parsed.getAddress();
            StringBuilder key = new StringBuilder(24);
            for (int i = 0; i < 8; i += 2) {
                key.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
            }
            return key.append(":/64").toString();
        } catch (UnknownHostException | RuntimeException e) {
            return address;
        }
    }
}
