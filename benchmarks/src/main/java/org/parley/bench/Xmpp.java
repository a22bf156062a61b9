package org.parley.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/** Client side of the XMPP steps the scenarios need: registration, login, stanzas. */
final class Xmpp {
    static final String TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls";
    static final String SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl";
    private static final long STEP_TIMEOUT_MS = 30_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * PBKDF2 results per user, salt and iteration count. An account's salt does not change, so the
     * generator pays PBKDF2 once per account (at registration warm-up) rather than in every measured
     * login; the servers store derived keys and likewise pay only the HMACs per login.
     */
    private static final Map<String, byte[]> SALTED = new ConcurrentHashMap<>();

    enum Mechanism { SCRAM_SHA_1, PLAIN }

    private Xmpp() {
    }

    /** Opens the stream and negotiates STARTTLS where the transport needs it; returns the features. */
    static String secure(Transport t, String domain) throws IOException {
        String features = t.openStream(domain);
        if (t.needsStartTls()) {
            if (!features.contains(TLS_NS)) {
                throw new IOException("no STARTTLS offered: " + features);
            }
            t.send("<starttls xmlns='" + TLS_NS + "'/>");
            String r = t.next(STEP_TIMEOUT_MS);
            if (!r.startsWith("<proceed")) {
                throw new IOException("STARTTLS refused: " + r);
            }
            t.startTls(domain);
            features = t.openStream(domain);
        }
        return features;
    }

    /** XEP-0077 registration before authentication; an existing account counts as success. */
    static void register(Transport t, String domain, String user, String password) throws IOException {
        secure(t, domain);
        t.send("<iq type='set' id='reg1' xmlns='jabber:client'><query xmlns='jabber:iq:register'><username>" + user
                + "</username><password>" + password + "</password></query></iq>");
        String r = expectIq(t, "reg1");
        if ("error".equals(StanzaSplitter.attr(r, "type"))) {
            if (!r.contains("conflict")) {
                throw new IOException("registration of " + user + " failed: " + r);
            }
        }
    }

    /**
     * RFC 6120 login: stream, STARTTLS (TCP), SASL, stream restart, resource binding, then, as a client
     * starting a session does, initial presence and the roster (RFC 6121 §2.2). Returns when the roster
     * result has arrived.
     */
    static void login(Transport t, String domain, String user, String password, Mechanism mech, String resource)
            throws IOException {
        String features = secure(t, domain);
        if (mech == Mechanism.SCRAM_SHA_1) {
            if (!features.contains(">SCRAM-SHA-1<")) {
                throw new IOException("SCRAM-SHA-1 not offered: " + features);
            }
            scramSha1(t, user, password);
        } else {
            String cred = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
            t.send("<auth xmlns='" + SASL_NS + "' mechanism='PLAIN'>" + cred + "</auth>");
            String r = t.next(STEP_TIMEOUT_MS);
            if (!r.startsWith("<success")) {
                throw new IOException("PLAIN failed for " + user + ": " + r);
            }
        }
        features = t.openStream(domain);
        t.send("<iq type='set' id='bind1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>"
                + resource + "</resource></bind></iq>");
        String r = expectIq(t, "bind1");
        if (!"result".equals(StanzaSplitter.attr(r, "type"))) {
            throw new IOException("bind failed: " + r);
        }
        if (features.contains("urn:ietf:params:xml:ns:xmpp-session") && !features.contains("<optional")) {
            t.send("<iq type='set' id='sess1' xmlns='jabber:client'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
            expectIq(t, "sess1");
        }
        t.send("<presence xmlns='jabber:client'/>");
        t.send("<iq type='get' id='roster1' xmlns='jabber:client'><query xmlns='jabber:iq:roster'/></iq>");
        expectIq(t, "roster1");
    }

    /** Waits for the iq with this id, skipping anything else (presence, pushes). */
    static String expectIq(Transport t, String id) throws IOException {
        long deadline = System.nanoTime() + STEP_TIMEOUT_MS * 1_000_000;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new IOException("no answer to iq " + id);
            }
            String s = t.next(left);
            if (s.startsWith("<iq") && id.equals(StanzaSplitter.attr(s, "id"))) {
                return s;
            }
            if (s.startsWith("<stream:error") || s.startsWith("<failure")) {
                throw new IOException("stream failed waiting for " + id + ": " + s);
            }
        }
    }

    /** Waits for an element starting with prefix and containing marker, skipping others. */
    static String expect(Transport t, String prefix, String marker) throws IOException {
        long deadline = System.nanoTime() + STEP_TIMEOUT_MS * 1_000_000;
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new IOException("nothing like " + prefix + "…" + marker + " arrived");
            }
            String s = t.next(left);
            if (s.startsWith(prefix) && s.contains(marker)) {
                return s;
            }
            if (s.startsWith("<stream:error")) {
                throw new IOException("stream error: " + s);
            }
        }
    }

    /** RFC 5802 SCRAM-SHA-1 without channel binding ("n,,"), verifying the server's signature. */
    private static void scramSha1(Transport t, String user, String password) throws IOException {
        byte[] nb = new byte[18];
        RANDOM.nextBytes(nb);
        String cnonce = Base64.getEncoder().encodeToString(nb);
        String bare = "n=" + user + ",r=" + cnonce;
        t.send("<auth xmlns='" + SASL_NS + "' mechanism='SCRAM-SHA-1'>" + b64("n,," + bare) + "</auth>");
        String ch = t.next(STEP_TIMEOUT_MS);
        if (!ch.startsWith("<challenge")) {
            throw new IOException("SCRAM: expected a challenge, got " + ch);
        }
        String serverFirst = new String(Base64.getDecoder().decode(StanzaSplitter.text(ch, "challenge").trim()),
                StandardCharsets.UTF_8);
        String nonce = null;
        String salt = null;
        int iterations = 0;
        for (String part : serverFirst.split(",")) {
            if (part.startsWith("r=")) {
                nonce = part.substring(2);
            } else if (part.startsWith("s=")) {
                salt = part.substring(2);
            } else if (part.startsWith("i=")) {
                iterations = Integer.parseInt(part.substring(2));
            }
        }
        if (nonce == null || !nonce.startsWith(cnonce) || salt == null || iterations <= 0) {
            throw new IOException("SCRAM: bad server-first-message " + serverFirst);
        }
        try {
            String saltB64 = salt;
            int iters = iterations;
            byte[] salted = SALTED.computeIfAbsent(user + '\0' + salt + '\0' + iterations,
                    k -> pbkdf2(password, Base64.getDecoder().decode(saltB64), iters));
            String finalNoProof = "c=biws,r=" + nonce;
            String authMessage = bare + "," + serverFirst + "," + finalNoProof;
            byte[] clientKey = hmac(salted, "Client Key");
            byte[] storedKey = MessageDigest.getInstance("SHA-1").digest(clientKey);
            byte[] sig = hmac(storedKey, authMessage);
            byte[] proof = new byte[clientKey.length];
            for (int i = 0; i < proof.length; i++) {
                proof[i] = (byte) (clientKey[i] ^ sig[i]);
            }
            t.send("<response xmlns='" + SASL_NS + "'>"
                    + b64(finalNoProof + ",p=" + Base64.getEncoder().encodeToString(proof)) + "</response>");
            String r = t.next(STEP_TIMEOUT_MS);
            if (!r.startsWith("<success")) {
                throw new IOException("SCRAM failed for " + user + ": " + r);
            }
            String v = new String(Base64.getDecoder().decode(StanzaSplitter.text(r, "success").trim()),
                    StandardCharsets.UTF_8);
            String expected = "v=" + Base64.getEncoder().encodeToString(hmac(hmac(salted, "Server Key"), authMessage));
            if (!v.equals(expected)) {
                throw new IOException("SCRAM: wrong server signature");
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] key, String data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(key, "HmacSHA1"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA1")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 160)).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
