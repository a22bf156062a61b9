package org.parley.server.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ScramTest {

    @Test
    void deriveGivesBothHashesWithDistinctRandomSalts() {
        Map<ScramHash, ScramCredential> a = Scram.derive("pencil", 100);
        Map<ScramHash, ScramCredential> b = Scram.derive("pencil", 100);
        assertEquals(2, a.size());
        for (ScramHash hash : ScramHash.values()) {
            ScramCredential c = a.get(hash);
            assertEquals(hash, c.hash());
            assertEquals(100, c.iterations());
            assertTrue(c.salt().length >= 16);
            assertEquals(hash.length(), c.storedKey().length);
            assertFalse(Arrays.equals(c.salt(), b.get(hash).salt()));
            assertTrue(Scram.verify(c, "pencil"));
            assertFalse(Scram.verify(c, "Pencil"));
        }
    }

    @Test
    void passwordIsSaslPrepped() {
        ScramCredential c = Scram.derive("I\u00ADX", 10).get(ScramHash.SHA_256);
        assertTrue(Scram.verify(c, "\u2168"));
        assertThrows(IllegalArgumentException.class, () -> Scram.derive("", 10));
        assertThrows(IllegalArgumentException.class, () -> Scram.derive("a\u0007", 10));
    }

    /** StoredKey and ServerKey of "pencil" with the RFC 5802 §5 / RFC 7677 §3 salts, computed with Python hashlib. */
    @Test
    void knownVerifiers() {
        ScramCredential sha1 = Scram.credential(ScramHash.SHA_1, "pencil",
                Base64.getDecoder().decode("QSXCR+Q6sek8bf92"), 4096);
        assertEquals("6dlGYMOdZcOPutkcNY8U2g7vK9Y=", Base64.getEncoder().encodeToString(sha1.storedKey()));
        assertEquals("D+CSWLOshSulAsxiupA+qs2/fTE=", Base64.getEncoder().encodeToString(sha1.serverKey()));
        ScramCredential sha256 = Scram.credential(ScramHash.SHA_256, "pencil",
                Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
        assertEquals("WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
                Base64.getEncoder().encodeToString(sha256.storedKey()));
        assertEquals("wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
                Base64.getEncoder().encodeToString(sha256.serverKey()));
    }
}
