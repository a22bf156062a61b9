package org.parley.server.sasl;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server side of PLAIN (RFC 4616): {@code [authzid] NUL authcid NUL passwd}. Offered only over TLS. The
 * password is checked by re-deriving the stored SCRAM verifier, since Parley keeps no plaintext; unknown users
 * cost the same derivation so response time does not reveal which accounts exist.
 */
public final class PlainMechanism implements SaslMechanism {

    public static final String NAME = "PLAIN";

    private static final Logger LOG = LoggerFactory.getLogger(PlainMechanism.class);

    private final CredentialLookup lookup;
    private final String domain;
    private final int unknownUserIterations;
    private boolean started;
    private boolean done;
    private String attempted;

    /**
     * @param lookup                where verifiers come from
     * @param domain                the served XMPP domain, for the authzid check
     * @param unknownUserIterations iterations spent on unknown users; should equal the one new accounts use
     */
    public PlainMechanism(CredentialLookup lookup, String domain, int unknownUserIterations) {
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.domain = Objects.requireNonNull(domain, "domain");
        if (unknownUserIterations < 1) {
            throw new IllegalArgumentException("iterations must be positive");
        }
        this.unknownUserIterations = unknownUserIterations;
    }

    /** As above with {@link Scram#DEFAULT_ITERATIONS} for unknown users. */
    public PlainMechanism(CredentialLookup lookup, String domain) {
        this(lookup, domain, Scram.DEFAULT_ITERATIONS);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SaslStep start(byte[] initialResponse) {
        if (started) {
            return fail(SaslFailure.MALFORMED_REQUEST, "exchange already started");
        }
        started = true;
        if (initialResponse == null) {
            return new SaslStep.Challenge(new byte[0]); // RFC 4616 §2: the client sends its message next
        }
        return check(initialResponse);
    }

    @Override
    public String attemptedUsername() {
        return attempted;
    }

    @Override
    public SaslStep respond(byte[] response) {
        if (!started || done) {
            return fail(SaslFailure.MALFORMED_REQUEST, "unexpected response");
        }
        return check(response);
    }

    private SaslStep check(byte[] data) {
        String message;
        try {
            message = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            return fail(SaslFailure.MALFORMED_REQUEST, "invalid UTF-8");
        }
        // message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 §2)
        String[] parts = message.split("\0", -1);
        if (parts.length != 3 || parts[1].isEmpty() || parts[2].isEmpty()) {
            return fail(SaslFailure.MALFORMED_REQUEST, "expected [authzid] NUL authcid NUL passwd");
        }
        String authzid = parts[0];
        String username;
        try {
            username = Identities.username(parts[1]);
        } catch (IllegalArgumentException e) {
            return fail(SaslFailure.NOT_AUTHORIZED, "invalid username");
        }
        attempted = username;
        ScramCredential credential = lookup.credentials(username).map(PlainMechanism::strongest).orElse(null);
        if (credential == null) {
            // Spend the same work as a real check, then fail.
            Scram.verify(new ScramCredential(ScramHash.SHA_256, new byte[Scram.SALT_LENGTH], unknownUserIterations,
                    new byte[ScramHash.SHA_256.length()], new byte[ScramHash.SHA_256.length()]), parts[2]);
            return fail(SaslFailure.NOT_AUTHORIZED, "authentication failed for '" + username + "'");
        }
        if (!Scram.verify(credential, parts[2])) {
            return fail(SaslFailure.NOT_AUTHORIZED, "authentication failed for '" + username + "'");
        }
        if (!authzid.isEmpty() && !Identities.authzidAllowed(authzid, username, domain)) {
            return fail(SaslFailure.INVALID_AUTHZID, "'" + username + "' may not act as '" + authzid + "'");
        }
        done = true;
        LOG.debug("PLAIN authenticated '{}'", username);
        return new SaslStep.Success(username, null);
    }

    private static ScramCredential strongest(Map<ScramHash, ScramCredential> credentials) {
        ScramCredential sha256 = credentials.get(ScramHash.SHA_256);
        return sha256 != null ? sha256 : credentials.get(ScramHash.SHA_1);
    }

    private SaslStep fail(SaslFailure condition, String text) {
        done = true;
        LOG.debug("PLAIN failed: {} ({})", condition.elementName(), text);
        return new SaslStep.Failure(condition, text);
    }
}
