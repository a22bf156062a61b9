package org.parley.server.config;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Just enough RFC 7622 to validate the configured domain and admin JIDs at start-up, so that a typo such
 * as {@code "chat example.org"} is reported as a setting error rather than as failing logins later.
 */
final class Jids {

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6_LITERAL = Pattern.compile("\\[[0-9a-f:.]+\\]");
    private static final Pattern LOCALPART_FORBIDDEN = Pattern.compile("[\"&'/:<>@\\s]");

    private Jids() {
    }

    /** The domain lower-cased without a trailing dot, or null when it is not a valid domainpart. */
    static String normalizeDomain(String text) {
        String domain = text.strip().toLowerCase(Locale.ROOT);
        if (domain.endsWith(".")) {
            domain = domain.substring(0, domain.length() - 1);
        }
        if (domain.isEmpty() || domain.getBytes(StandardCharsets.UTF_8).length > 1023) {
            return null;
        }
        if (IPV6_LITERAL.matcher(domain).matches()) {
            return domain;
        }
        var ipv4 = IPV4.matcher(domain);
        if (ipv4.matches()) {
            for (int i = 1; i <= 4; i++) {
                if (Integer.parseInt(ipv4.group(i)) > 255) {
                    return null;
                }
            }
            return domain;
        }
        String ascii;
        try {
            ascii = IDN.toASCII(domain, IDN.USE_STD3_ASCII_RULES);
        } catch (IllegalArgumentException e) {
            return null;
        }
        for (String label : ascii.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                return null;
            }
        }
        return domain;
    }

    /** {@code local@domain} lower-cased, or null when it is not a bare JID with a localpart. */
    static String normalizeBareJid(String text) {
        String jid = text.strip();
        int at = jid.indexOf('@');
        if (at <= 0 || jid.indexOf('/') >= 0) {
            return null;
        }
        String local = normalizeLocalpart(jid.substring(0, at));
        String domain = normalizeDomain(jid.substring(at + 1));
        return local == null || domain == null ? null : local + "@" + domain;
    }

    /** A localpart (the part before "@") lower-cased, or null when it is empty or has a forbidden character. */
    static String normalizeLocalpart(String text) {
        String local = text.strip().toLowerCase(Locale.ROOT);
        if (local.isEmpty() || LOCALPART_FORBIDDEN.matcher(local).find()
                || local.getBytes(StandardCharsets.UTF_8).length > 1023) {
            return null;
        }
        return local;
    }
}
