package org.parley.server.sasl;

import java.util.Locale;

import org.apache.vysper.xmpp.addressing.stringprep.NodePrep;
import org.apache.vysper.xmpp.addressing.stringprep.StringPrepViolationException;

/** Username and authorization-identity rules shared by the mechanisms. */
final class Identities {

    private Identities() {
    }

    /**
     * SASLprep (RFC 5802 §5.1, RFC 4616 §2) then nodeprep (RFC 6122 Appendix A), so "User" logs in as the
     * account "user".
     *
     * @throws IllegalArgumentException when either profile rejects the name or it is empty
     */
    static String username(String raw) {
        try {
            String node = NodePrep.prepare(SaslPrep.prepare(raw));
            // Vysper's nodeprep misses U+0022, which RFC 6122 Appendix A.5 also prohibits.
            if (node.isEmpty() || node.indexOf('"') >= 0) {
                throw new IllegalArgumentException("invalid username");
            }
            return node;
        } catch (StringPrepViolationException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /**
     * Whether {@code authzid} names the authenticated user: Parley has no proxy authorization, so only the
     * user's own bare JID is accepted (RFC 6120 §6.3.8).
     */
    static boolean authzidAllowed(String authzid, String username, String domain) {
        int at = authzid.indexOf('@');
        if (at <= 0 || authzid.indexOf('/') >= 0) {
            return false;
        }
        String host = authzid.substring(at + 1);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        try {
            return username(authzid.substring(0, at)).equals(username)
                    && host.toLowerCase(Locale.ROOT).equals(domain.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
