package org.parley.server.sasl;

/** The hashes Parley offers SCRAM with (RFC 5802 for SHA-1, RFC 7677 for SHA-256). */
public enum ScramHash {
    SHA_1("SCRAM-SHA-1", "SHA-1", "HmacSHA1", 20),
    SHA_256("SCRAM-SHA-256", "SHA-256", "HmacSHA256", 32);

    private final String mechanism;
    private final String digestAlgorithm;
    private final String macAlgorithm;
    private final int length;

    ScramHash(String mechanism, String digestAlgorithm, String macAlgorithm, int length) {
        this.mechanism = mechanism;
        this.digestAlgorithm = digestAlgorithm;
        this.macAlgorithm = macAlgorithm;
        this.length = length;
    }

    /** The SASL mechanism name, e.g. {@code SCRAM-SHA-256}. */
    public String mechanism() {
        return mechanism;
    }

    /** JCA name of the digest, e.g. {@code SHA-256}. */
    public String digestAlgorithm() {
        return digestAlgorithm;
    }

    /** JCA name of the HMAC, e.g. {@code HmacSHA256}. */
    public String macAlgorithm() {
        return macAlgorithm;
    }

    /** Output length of the hash in bytes. */
    public int length() {
        return length;
    }
}
