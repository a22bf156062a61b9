package org.parley.server.sasl;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SCRAM key derivation (RFC 5802 §3): turns a password into the verifiers the server stores, and checks a
 * password against them. Used when accounts are created and by PLAIN, so passwords are never stored.
 */
public final class Scram {

    /** The iteration count RFC 7677 §4 recommends as the minimum; also shown to unknown users. */
    public static final int DEFAULT_ITERATIONS = 4096;

    /** Salt length in bytes for new verifiers. */
    public static final int SALT_LENGTH = 16;

    private static final SecureRandom RANDOM = new SecureRandom();

    private Scram() {
    }

    /**
     * Derives fresh verifiers for every {@link ScramHash}, each with its own random salt.
     *
     * @param password   the password as typed; SASLprep'd here (stored-string rules)
     * @param iterations PBKDF2 iteration count
     * @throws IllegalArgumentException when the password is empty or SASLprep rejects it
     */
    public static Map<ScramHash, ScramCredential> derive(String password, int iterations) {
        String prepared = SaslPrep.prepareStored(password);
        Map<ScramHash, ScramCredential> result = new EnumMap<>(ScramHash.class);
        for (ScramHash hash : ScramHash.values()) {
            byte[] salt = new byte[SALT_LENGTH];
            RANDOM.nextBytes(salt);
            result.put(hash, credential(hash, prepared, salt, iterations));
        }
        return result;
    }

    /**
     * Computes the verifier of an already SASLprep'd password with the given salt (RFC 5802 §3):
     * StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key").
     */
    public static ScramCredential credential(ScramHash hash, String preparedPassword, byte[] salt, int iterations) {
        if (preparedPassword.isEmpty()) {
            throw new IllegalArgumentException("password must not be empty");
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be positive");
        }
        byte[] salted = hi(hash, preparedPassword.getBytes(StandardCharsets.UTF_8), salt, iterations);
        byte[] storedKey = digest(hash, hmac(hash, salted, "Client Key".getBytes(StandardCharsets.US_ASCII)));
        byte[] serverKey = hmac(hash, salted, "Server Key".getBytes(StandardCharsets.US_ASCII));
        Arrays.fill(salted, (byte) 0);
        return new ScramCredential(hash, salt.clone(), iterations, storedKey, serverKey);
    }

    /**
     * Whether {@code password} (as typed) matches the verifier, comparing StoredKey in constant time.
     * False for passwords SASLprep rejects.
     */
    public static boolean verify(ScramCredential credential, String password) {
        String prepared;
        try {
            prepared = SaslPrep.prepare(password);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (prepared.isEmpty()) {
            return false;
        }
        ScramCredential candidate = credential(credential.hash(), prepared, credential.salt(), credential.iterations());
        return MessageDigest.isEqual(candidate.storedKey(), credential.storedKey());
    }

    /** Hi(str, salt, i) of RFC 5802 §2.2, i.e. PBKDF2 with HMAC as PRF and one block of output. */
    static byte[] hi(ScramHash hash, byte[] password, byte[] salt, int iterations) {
        return Pbkdf2.hi(hash, password, salt, iterations);
    }

    static byte[] hmac(ScramHash hash, byte[] key, byte[] data) {
        return mac(hash, key).doFinal(data);
    }

    static byte[] digest(ScramHash hash, byte[] data) {
        try {
            return MessageDigest.getInstance(hash.digestAlgorithm()).digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash.digestAlgorithm() + " unavailable", e);
        }
    }

    private static Mac mac(ScramHash hash, byte[] key) {
        try {
            Mac mac = Mac.getInstance(hash.macAlgorithm());
            mac.init(new SecretKeySpec(key, hash.macAlgorithm()));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash.macAlgorithm() + " unavailable", e);
        }
    }
}
