package org.parley.server.sasl;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class PlainMechanismTest {

    private static final Map<ScramHash, ScramCredential> ALICE = Scram.derive("wonderland", 64);
    private static final Map<ScramHash, ScramCredential> OLD = Map.of(ScramHash.SHA_1,
            Scram.derive("legacy-pw", 64).get(ScramHash.SHA_1));

    private static PlainMechanism plain() {
        return new PlainMechanism(name -> switch (name) {
            case "alice" -> Optional.of(ALICE);
            case "old" -> Optional.of(OLD);
            default -> Optional.empty();
        }, "example.org", 64);
    }

    private static SaslStep auth(String message) {
        return plain().start(message.getBytes(UTF_8));
    }

    private static void assertFailure(SaslFailure expected, SaslStep step) {
        assertEquals(expected, assertInstanceOf(SaslStep.Failure.class, step).condition());
    }

    @Test
    void correctPasswordSucceeds() {
        SaslStep.Success success = assertInstanceOf(SaslStep.Success.class, auth("\0Alice\0wonderland"));
        assertEquals("alice", success.username());
        assertNull(success.additionalData());
        assertEquals("old", assertInstanceOf(SaslStep.Success.class, auth("\0old\0legacy-pw")).username());
    }

    @Test
    void wrongPasswordAndUnknownUserAreNotAuthorized() {
        assertFailure(SaslFailure.NOT_AUTHORIZED, auth("\0alice\0wonderlan"));
        assertFailure(SaslFailure.NOT_AUTHORIZED, auth("\0bob\0wonderland"));
        assertFailure(SaslFailure.NOT_AUTHORIZED, auth("\0al ice\0wonderland"));
    }

    @Test
    void authzid() {
        assertInstanceOf(SaslStep.Success.class, auth("alice@example.org\0alice\0wonderland"));
        assertFailure(SaslFailure.INVALID_AUTHZID, auth("bob@example.org\0alice\0wonderland"));
        assertFailure(SaslFailure.INVALID_AUTHZID, auth("alice@example.com\0alice\0wonderland"));
        assertFailure(SaslFailure.INVALID_AUTHZID, auth("alice@example.org/res\0alice\0wonderland"));
        // Authorization is only judged after authentication.
        assertFailure(SaslFailure.NOT_AUTHORIZED, auth("bob@example.org\0alice\0wrong"));
    }

    @Test
    void malformedMessages() {
        for (String message : new String[] {"", "alice", "\0alice", "\0\0wonderland", "\0alice\0", "a\0b\0c\0d"}) {
            assertFailure(SaslFailure.MALFORMED_REQUEST, auth(message));
        }
    }

    @Test
    void emptyChallengeWithoutInitialResponseThenDone() {
        PlainMechanism plain = plain();
        assertEquals(0, assertInstanceOf(SaslStep.Challenge.class, plain.start(null)).data().length);
        assertInstanceOf(SaslStep.Success.class, plain.respond("\0alice\0wonderland".getBytes(UTF_8)));
        assertFailure(SaslFailure.MALFORMED_REQUEST, plain.respond("\0alice\0wonderland".getBytes(UTF_8)));
    }
}
