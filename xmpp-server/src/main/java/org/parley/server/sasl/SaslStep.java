package org.parley.server.sasl;

import java.util.Objects;

/**
 * What a {@link SaslMechanism} wants sent next (RFC 6120 §6.4): another challenge, success or failure.
 * Sealed so the stream code handles every outcome in one exhaustive switch.
 */
public sealed interface SaslStep permits SaslStep.Challenge, SaslStep.Success, SaslStep.Failure {

    /** Send {@code <challenge/>} with this data (possibly empty) and wait for a {@code <response/>}. */
    record Challenge(byte[] data) implements SaslStep {
        public Challenge {
            Objects.requireNonNull(data, "data");
        }
    }

    /**
     * Authentication succeeded (RFC 6120 §6.4.6).
     *
     * @param username       the nodeprep-normalised local part that authenticated
     * @param additionalData data for the {@code <success/>} element (e.g. SCRAM's {@code v=}), or null
     */
    record Success(String username, byte[] additionalData) implements SaslStep {
        public Success {
            Objects.requireNonNull(username, "username");
        }
    }

    /**
     * Authentication failed (RFC 6120 §6.4.5).
     *
     * @param condition the RFC 6120 §6.5 condition
     * @param text      a human-readable explanation for logs and the optional {@code <text/>}; never secret
     */
    record Failure(SaslFailure condition, String text) implements SaslStep {
        public Failure {
            Objects.requireNonNull(condition, "condition");
        }
    }
}
