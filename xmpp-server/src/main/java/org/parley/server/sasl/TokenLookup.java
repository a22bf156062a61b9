package org.parley.server.sasl;

import java.util.Optional;

/**
 * Finds a device token for {@link TokenMechanism} without the mechanism depending on where tokens live
 * (typically {@code DeviceTokens::use}).
 */
@FunctionalInterface
public interface TokenLookup {

    /** No tokens anywhere: the token mechanism is not offered. */
    TokenLookup NONE = (username, initiator) -> Optional.empty();

    /**
     * Looks up, and marks as used, the unexpired token of {@code username} whose initiator-hashed value
     * (XEP-0484 §HT: {@code HMAC(token, "Initiator")}) the client sent.
     *
     * @param username   nodeprep-normalised local part
     * @param initiator  the client's HMAC, as received
     * @return the responder-hashed value to send back with {@code <success/>}; empty when no such token
     */
    Optional<byte[]> use(String username, byte[] initiator);
}
