package org.parley.server.sasl;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server side of SCRAM (RFC 5802; SCRAM-SHA-256 per RFC 7677) without channel binding: the client proves
 * knowledge of the password without sending it, and the server proves it holds the verifier.
 *
 * <p>Unknown users get a plausible challenge (a salt derived from the name with a per-process key and the
 * usual iteration count) and fail only at the end, so the exchange does not reveal which accounts exist
 * (RFC 5802 §9).
 */
public final class ScramMechanism implements SaslMechanism {

    private static final Logger LOG = LoggerFactory.getLogger(ScramMechanism.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] FAKE_SALT_KEY = new byte[32];

    static {
        RANDOM.nextBytes(FAKE_SALT_KEY);
    }

    private enum State { NEW, AWAIT_CLIENT_FIRST, AWAIT_CLIENT_FINAL, DONE }

    private final ScramHash hash;
    private final CredentialLookup lookup;
    private final String domain;
    private final int unknownUserIterations;
    private final Supplier<String> serverNonces;

    private State state = State.NEW;
    private String username;
    private String authzid;
    private String gs2Header;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private ScramCredential credential;
    private boolean userKnown;

    @Override
    public String attemptedUsername() {
        return username;
    }

    /**
     * @param hash                  SHA-1 or SHA-256
     * @param lookup                where verifiers come from
     * @param domain                the served XMPP domain, for the authzid check
     * @param unknownUserIterations iteration count shown to unknown users; should equal the one new accounts use
     */
    public ScramMechanism(ScramHash hash, CredentialLookup lookup, String domain, int unknownUserIterations) {
        this(hash, lookup, domain, unknownUserIterations, ScramMechanism::randomNonce);
    }

    /** As above with {@link Scram#DEFAULT_ITERATIONS} for unknown users. */
    public ScramMechanism(ScramHash hash, CredentialLookup lookup, String domain) {
        this(hash, lookup, domain, Scram.DEFAULT_ITERATIONS);
    }

    /** For tests: a fixed server nonce reproduces the RFC example exchanges. */
    ScramMechanism(ScramHash hash, CredentialLookup lookup, String domain, int unknownUserIterations,
                   Supplier<String> serverNonces) {
        this.hash = Objects.requireNonNull(hash, "hash");
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.domain = Objects.requireNonNull(domain, "domain");
        if (unknownUserIterations < 1) {
            throw new IllegalArgumentException("iterations must be positive");
        }
        this.unknownUserIterations = unknownUserIterations;
        this.serverNonces = serverNonces;
    }

    @Override
    public String name() {
        return hash.mechanism();
    }

    @Override
    public SaslStep start(byte[] initialResponse) {
        if (state != State.NEW) {
            return fail(SaslFailure.MALFORMED_REQUEST, "exchange already started");
        }
        if (initialResponse == null) {
            // RFC 6120 §6.4.2: no initial response, so ask for the client-first-message with an empty challenge.
            state = State.AWAIT_CLIENT_FIRST;
            return new SaslStep.Challenge(new byte[0]);
        }
        return clientFirst(initialResponse);
    }

    @Override
    public SaslStep respond(byte[] response) {
        return switch (state) {
            case AWAIT_CLIENT_FIRST -> clientFirst(response);
            case AWAIT_CLIENT_FINAL -> clientFinal(response);
            case NEW, DONE -> fail(SaslFailure.MALFORMED_REQUEST, "unexpected response");
        };
    }

    /** RFC 5802 §7: client-first-message = gs2-header client-first-message-bare. */
    private SaslStep clientFirst(byte[] data) {
        try {
            String message = utf8(data);
            // gs2-header = gs2-cbind-flag "," [ authzid ] ","
            int comma1 = message.indexOf(',');
            int comma2 = comma1 < 0 ? -1 : message.indexOf(',', comma1 + 1);
            if (comma2 < 0) {
                throw new Malformed("missing GS2 header");
            }
            String cbindFlag = message.substring(0, comma1);
            if (cbindFlag.startsWith("p=")) {
                return fail(SaslFailure.MALFORMED_REQUEST, "channel binding requested but no -PLUS mechanism offered");
            }
            if (!cbindFlag.equals("n") && !cbindFlag.equals("y")) {
                throw new Malformed("bad GS2 channel binding flag");
            }
            String authzidField = message.substring(comma1 + 1, comma2);
            if (!authzidField.isEmpty()) {
                if (!authzidField.startsWith("a=")) {
                    throw new Malformed("bad GS2 authzid");
                }
                authzid = saslName(authzidField.substring(2));
            }
            gs2Header = message.substring(0, comma2 + 1);
            clientFirstBare = message.substring(comma2 + 1);

            // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
            String[] attrs = clientFirstBare.split(",", -1);
            if (attrs.length < 2) {
                throw new Malformed("missing username or nonce");
            }
            if (attrs[0].startsWith("m=")) {
                // RFC 5802 §5.1: the server MUST fail when the reserved "m" extension is present.
                return fail(SaslFailure.MALFORMED_REQUEST, "mandatory extensions are not supported");
            }
            String rawUser = saslName(value(attrs[0], 'n'));
            String clientNonce = value(attrs[1], 'r');
            if (!printable(clientNonce)) {
                throw new Malformed("client nonce not printable");
            }
            checkExtensions(attrs, 2);

            try {
                username = Identities.username(rawUser);
            } catch (IllegalArgumentException e) {
                return fail(SaslFailure.NOT_AUTHORIZED, "invalid username");
            }
            Map<ScramHash, ScramCredential> stored = lookup.credentials(username).orElse(null);
            credential = stored == null ? null : stored.get(hash);
            userKnown = credential != null;
            if (!userKnown) {
                credential = fakeCredential(username);
            }

            nonce = clientNonce + serverNonces.get();
            serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(credential.salt())
                    + ",i=" + credential.iterations();
            state = State.AWAIT_CLIENT_FINAL;
            return new SaslStep.Challenge(serverFirst.getBytes(StandardCharsets.UTF_8));
        } catch (Malformed e) {
            return fail(SaslFailure.MALFORMED_REQUEST, e.getMessage());
        }
    }

    /** RFC 5802 §7: client-final-message = channel-binding "," nonce ["," extensions] "," proof. */
    private SaslStep clientFinal(byte[] data) {
        try {
            String message = utf8(data);
            int proofAt = message.lastIndexOf(",p=");
            if (proofAt < 0) {
                throw new Malformed("missing proof");
            }
            String withoutProof = message.substring(0, proofAt);
            byte[] proof = base64(message.substring(proofAt + 3));
            String[] attrs = withoutProof.split(",", -1);
            if (attrs.length < 2) {
                throw new Malformed("missing channel binding or nonce");
            }
            byte[] cbind = base64(value(attrs[0], 'c'));
            String echoedNonce = value(attrs[1], 'r');
            checkExtensions(attrs, 2);
            // §5.1: without channel binding, c= is the base64 of the GS2 header exactly as sent.
            if (!MessageDigest.isEqual(cbind, gs2Header.getBytes(StandardCharsets.UTF_8))) {
                return fail(SaslFailure.NOT_AUTHORIZED, "channel binding does not match GS2 header");
            }
            if (!echoedNonce.equals(nonce)) {
                return fail(SaslFailure.NOT_AUTHORIZED, "nonce mismatch");
            }
            if (proof.length != hash.length()) {
                throw new Malformed("proof has wrong length");
            }

            // RFC 5802 §3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); check H(ClientKey) = StoredKey.
            byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof)
                    .getBytes(StandardCharsets.UTF_8);
            byte[] clientSignature = Scram.hmac(hash, credential.storedKey(), authMessage);
            byte[] clientKey = new byte[proof.length];
            for (int i = 0; i < proof.length; i++) {
                clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
            }
            boolean proofOk = MessageDigest.isEqual(Scram.digest(hash, clientKey), credential.storedKey());
            if (!proofOk || !userKnown) {
                return fail(SaslFailure.NOT_AUTHORIZED, "authentication failed for '" + username + "'");
            }
            if (authzid != null && !Identities.authzidAllowed(authzid, username, domain)) {
                return fail(SaslFailure.INVALID_AUTHZID, "'" + username + "' may not act as '" + authzid + "'");
            }
            byte[] serverSignature = Scram.hmac(hash, credential.serverKey(), authMessage);
            state = State.DONE;
            LOG.debug("{} authenticated '{}'", name(), username);
            return new SaslStep.Success(username,
                    ("v=" + Base64.getEncoder().encodeToString(serverSignature)).getBytes(StandardCharsets.UTF_8));
        } catch (Malformed e) {
            return fail(SaslFailure.MALFORMED_REQUEST, e.getMessage());
        }
    }

    private SaslStep fail(SaslFailure condition, String text) {
        state = State.DONE;
        LOG.debug("{} failed: {} ({})", name(), condition.elementName(), text);
        return new SaslStep.Failure(condition, text);
    }

    /**
     * A verifier for a user who does not exist: the salt is stable per name (so repeated probes see the same
     * salt, as for a real account) and the keys are random, so no proof can match.
     */
    private ScramCredential fakeCredential(String user) {
        byte[] salt;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(FAKE_SALT_KEY, "HmacSHA256"));
            salt = Arrays.copyOf(mac.doFinal((hash.mechanism() + ":" + user).getBytes(StandardCharsets.UTF_8)),
                    Scram.SALT_LENGTH);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
        byte[] storedKey = new byte[hash.length()];
        byte[] serverKey = new byte[hash.length()];
        RANDOM.nextBytes(storedKey);
        RANDOM.nextBytes(serverKey);
        return new ScramCredential(hash, salt, unknownUserIterations, storedKey, serverKey);
    }

    private static String randomNonce() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes); // base64 has no ',' so it is a valid nonce
    }

    /** The value of {@code key=value}. */
    private static String value(String attr, char key) throws Malformed {
        if (attr.length() < 2 || attr.charAt(0) != key || attr.charAt(1) != '=') {
            throw new Malformed("expected attribute '" + key + "'");
        }
        return attr.substring(2);
    }

    /** Optional extensions (RFC 5802 §7) must at least look like attr-val; their content is ignored. */
    private static void checkExtensions(String[] attrs, int from) throws Malformed {
        for (int i = from; i < attrs.length; i++) {
            String a = attrs[i];
            char key = a.isEmpty() ? 0 : a.charAt(0);
            if (a.length() < 2 || !((key >= 'a' && key <= 'z') || (key >= 'A' && key <= 'Z')) || a.charAt(1) != '=') {
                throw new Malformed("bad attribute");
            }
        }
    }

    /** RFC 5802 §5.1: saslname, where ',' and '=' are escaped as =2C and =3D and any other '=' is an error. */
    static String saslName(String s) throws Malformed {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '=') {
                String esc = s.startsWith("=2C", i) ? "," : s.startsWith("=3D", i) ? "=" : null;
                if (esc == null) {
                    throw new Malformed("bad escape in saslname");
                }
                out.append(esc);
                i += 2;
            } else {
                out.append(c);
            }
        }
        if (out.length() == 0) {
            throw new Malformed("empty saslname");
        }
        return out.toString();
    }

    /** printable = %x21-2B / %x2D-7E (RFC 5802 §7). */
    private static boolean printable(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> c >= 0x21 && c <= 0x7E && c != ',');
    }

    private static byte[] base64(String s) throws Malformed {
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new Malformed("invalid base64");
        }
    }

    private static String utf8(byte[] data) throws Malformed {
        if (data == null || data.length == 0) {
            throw new Malformed("empty message");
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data)).toString();
            if (s.indexOf('\0') >= 0) {
                throw new Malformed("NUL in message");
            }
            return s;
        } catch (CharacterCodingException e) {
            throw new Malformed("invalid UTF-8");
        }
    }

    /** A message that does not follow the RFC 5802 §7 grammar. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }
}
