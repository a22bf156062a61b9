package org.parley.server.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class SaslMechanismsTest {

    private final SaslMechanisms mechanisms = new SaslMechanisms(name -> Optional.empty(), "example.org");

    @Test
    void listsStrongestFirstAndPlainOnlyWhenAllowed() {
        assertEquals(List.of("SCRAM-SHA-256", "SCRAM-SHA-1"), mechanisms.names(false));
        assertEquals(List.of("SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"), mechanisms.names(true));
    }

    @Test
    void theTokenMechanismIsOfferedWithTokensAndOnlyWherePlainIs() {
        SaslMechanisms withTokens = new SaslMechanisms(name -> Optional.empty(), "example.org", 4096,
                (user, initiator) -> Optional.empty());
        assertEquals(List.of("SCRAM-SHA-256", "SCRAM-SHA-1"), withTokens.names(false));
        assertEquals(List.of("SCRAM-SHA-256", "SCRAM-SHA-1", "HT-SHA-256-NONE", "PLAIN"), withTokens.names(true));
        assertTrue(withTokens.create("HT-SHA-256-NONE", false).isEmpty());
        assertTrue(mechanisms.create("HT-SHA-256-NONE", true).isEmpty());
    }

    @Test
    void createsByName() {
        for (String name : mechanisms.names(true)) {
            assertEquals(name, mechanisms.create(name, true).orElseThrow().name());
        }
        assertTrue(mechanisms.create("PLAIN", false).isEmpty());
        assertTrue(mechanisms.create("DIGEST-MD5", true).isEmpty());
        assertTrue(mechanisms.create("scram-sha-1", true).isEmpty());
    }

    @Test
    void elementNames() {
        assertEquals("not-authorized", SaslFailure.NOT_AUTHORIZED.elementName());
        assertEquals("temporary-auth-failure", SaslFailure.TEMPORARY_AUTH_FAILURE.elementName());
        assertEquals(11, SaslFailure.values().length);
    }
}
