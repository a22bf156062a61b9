package org.parley.server.sasl;

import java.util.Arrays;
import java.util.Objects;

/**
 * The salted SCRAM verifier of one password for one hash (RFC 5802 §3): what the server keeps instead of
 * the password. PLAIN logins are checked against it too, so no plaintext is ever stored.
 *
 * @param hash       the SCRAM hash: {@link ScramHash#SHA_1} or {@link ScramHash#SHA_256}
 * @param salt       random salt
 * @param iterations PBKDF2 iteration count
 * @param storedKey  H(ClientKey)
 * @param serverKey  HMAC(SaltedPassword, "Server Key")
 */
public record ScramCredential(ScramHash hash, byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {

    public ScramCredential {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(storedKey, "storedKey");
        Objects.requireNonNull(serverKey, "serverKey");
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be positive");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramCredential c && hash == c.hash && iterations == c.iterations
                && Arrays.equals(salt, c.salt) && Arrays.equals(storedKey, c.storedKey)
                && Arrays.equals(serverKey, c.serverKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(hash, iterations, Arrays.hashCode(salt), Arrays.hashCode(storedKey));
    }

    @Override
    public String toString() {
        return "ScramCredential[" + hash + ", i=" + iterations + "]";
    }
}
