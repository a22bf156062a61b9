package org.parley.server.sasl;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server side of {@code HT-SHA-256-NONE}, the hashed-token mechanism of XEP-0484 (FAST) used here in plain
 * RFC 6120 SASL, for the per-device tokens a client obtains after a password login
 * ({@code org.parley.server.devicetokens}). Initial response: {@code authcid NUL HMAC-SHA-256(token,
 * "Initiator")}; the success carries {@code HMAC-SHA-256(token, "Responder")} so the client knows the server
 * held the token. Without channel binding the initiator value is replayable, so, like PLAIN, it is offered
 * only over TLS (or loopback).
 */
public final class TokenMechanism implements SaslMechanism {

    public static final String NAME = "HT-SHA-256-NONE";
    /** HMAC-SHA-256 output length. */
    private static final int HMAC_LENGTH = 32;

    private static final Logger LOG = LoggerFactory.getLogger(TokenMechanism.class);

    private final TokenLookup tokens;
    private boolean started;

    public TokenMechanism(TokenLookup tokens) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SaslStep start(byte[] initialResponse) {
        if (started) {
            return new SaslStep.Failure(SaslFailure.MALFORMED_REQUEST, "exchange already started");
        }
        started = true;
        if (initialResponse == null) {
            return new SaslStep.Challenge(new byte[0]);
        }
        return check(initialResponse);
    }

    @Override
    public SaslStep respond(byte[] response) {
        return check(response);
    }

    private SaslStep check(byte[] data) {
        int nul = -1;
        for (int i = 0; i < data.length; i++) {
            if (data[i] == 0) {
                nul = i;
                break;
            }
        }
        if (nul <= 0 || data.length - nul - 1 != HMAC_LENGTH) {
            return new SaslStep.Failure(SaslFailure.MALFORMED_REQUEST, "expected authcid NUL 32-byte HMAC");
        }
        String username;
        try {
            String authcid = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data, 0, nul)).toString();
            username = Identities.username(authcid);
        } catch (CharacterCodingException | IllegalArgumentException e) {
            return new SaslStep.Failure(SaslFailure.NOT_AUTHORIZED, "invalid username");
        }
        Optional<byte[]> responder = tokens.use(username, Arrays.copyOfRange(data, nul + 1, data.length));
        if (responder.isEmpty()) {
            LOG.debug("{} failed for '{}'", NAME, username);
            // credentials-expired would reveal that the account exists; the client drops the token either way.
            return new SaslStep.Failure(SaslFailure.NOT_AUTHORIZED, "unknown, expired or revoked token");
        }
        LOG.debug("{} authenticated '{}'", NAME, username);
        return new SaslStep.Success(username, responder.get());
    }
}
