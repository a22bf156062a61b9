package org.parley.server.sasl;

import java.security.DigestException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * PBKDF2 (RFC 8018 §5.2) with HMAC-SHA-1 or HMAC-SHA-256 as PRF, one output block — exactly SCRAM's Hi()
 * (RFC 5802 §2.2). Same result as {@code Mac}-based PBKDF2, at about half the hashing: {@code javax.crypto.Mac}
 * re-hashes the 64-byte padded key (ipad, then opad) on every one of the 4 096 iterations, here the two padded
 * key states are hashed once per derivation and each iteration starts from a clone of them, so an iteration
 * costs two compression-function calls instead of four. The JDK's digests keep their CPU intrinsics (SHA-NI,
 * AVX2), which a pure-Java library such as Bouncy Castle's PBKDF2 does not have. Nothing is cached across
 * derivations: a password or anything derived from it lives only for the call.
 */
final class Pbkdf2 {

    /** HMAC block size of SHA-1 and SHA-256 (RFC 2104 §2: B = 64). */
    private static final int BLOCK = 64;

    private Pbkdf2() {
    }

    /**
     * Hi(password, salt, iterations) = U1 XOR U2 XOR ... XOR Ui with U1 = HMAC(password, salt || INT(1)),
     * Uk = HMAC(password, Uk-1).
     */
    static byte[] hi(ScramHash hash, byte[] password, byte[] salt, int iterations) {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be positive");
        }
        MessageDigest md = digest(hash);
        int len = hash.length();
        byte[] key = password.length > BLOCK ? md.digest(password) : password;
        MessageDigest inner = keyed(hash, key, 0x36); // RFC 2104 §2: ipad
        MessageDigest outer = keyed(hash, key, 0x5c); // opad
        if (key != password) {
            Arrays.fill(key, (byte) 0);
        }
        byte[] u = new byte[len];
        byte[] result = new byte[len];
        try {
            MessageDigest in = clone(inner);
            in.update(salt);
            in.update(new byte[] {0, 0, 0, 1}); // INT(1): the first and only block
            in.digest(u, 0, len);
            MessageDigest out = clone(outer);
            out.update(u);
            out.digest(u, 0, len);
            System.arraycopy(u, 0, result, 0, len);
            for (int n = 1; n < iterations; n++) {
                in = clone(inner);
                in.update(u);
                in.digest(u, 0, len);
                out = clone(outer);
                out.update(u);
                out.digest(u, 0, len);
                for (int j = 0; j < len; j++) {
                    result[j] ^= u[j];
                }
            }
        } catch (DigestException e) {
            throw new IllegalStateException(hash.digestAlgorithm() + " digest failed", e);
        } finally {
            Arrays.fill(u, (byte) 0);
        }
        return result;
    }

    /** A digest that has hashed the key, zero-padded to the block, XOR {@code pad}: HMAC's inner or outer state. */
    private static MessageDigest keyed(ScramHash hash, byte[] key, int pad) {
        byte[] block = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            block[i] = (byte) ((i < key.length ? key[i] : 0) ^ pad);
        }
        MessageDigest md = digest(hash);
        md.update(block);
        Arrays.fill(block, (byte) 0);
        return md;
    }

    private static MessageDigest digest(ScramHash hash) {
        try {
            return MessageDigest.getInstance(hash.digestAlgorithm());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(hash.digestAlgorithm() + " unavailable", e);
        }
    }

    private static MessageDigest clone(MessageDigest md) {
        try {
            return (MessageDigest) md.clone();
        } catch (CloneNotSupportedException e) {
            // The JDK's SUN provider digests are cloneable; a provider whose are not would fail at start-up tests.
            throw new IllegalStateException(md.getAlgorithm() + " is not cloneable", e);
        }
    }
}
