package org.parley.server.sasl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SaslPrepTest {

    /** The examples of RFC 4013 §3. */
    @Test
    void rfc4013Examples() {
        assertEquals("IX", SaslPrep.prepare("I\u00ADX"), "SOFT HYPHEN mapped to nothing");
        assertEquals("user", SaslPrep.prepare("user"), "no transformation");
        assertEquals("USER", SaslPrep.prepare("USER"), "case preserved");
        assertEquals("a", SaslPrep.prepare("\u00AA"), "output is NFKC, input in ISO 8859-1");
        assertEquals("IX", SaslPrep.prepare("\u2168"), "output is NFKC");
        assertThrows(IllegalArgumentException.class, () -> SaslPrep.prepare("\u0007"), "prohibited character");
        assertThrows(IllegalArgumentException.class, () -> SaslPrep.prepare("\u0627\u0031"), "bidi check");
    }

    @Test
    void spacesAndProhibitedCharacters() {
        assertEquals("a b", SaslPrep.prepare("a\u00A0b"));
        assertEquals("a b", SaslPrep.prepare("a\u3000b"));
        assertEquals("ab", SaslPrep.prepare("a\u200Db"));
        assertEquals("\u0627\u0628", SaslPrep.prepare("\u0627\u0628"));
        assertEquals("", SaslPrep.prepare(""));
        assertThrows(IllegalArgumentException.class, () -> SaslPrep.prepare("a\uE000"), "private use");
        assertThrows(IllegalArgumentException.class, () -> SaslPrep.prepare("a\u200Eb"), "LTR mark");
        assertThrows(IllegalArgumentException.class, () -> SaslPrep.prepare("a\uD800"), "lone surrogate");
        assertThrows(IllegalArgumentException.class, () -> SaslPrep.prepare("\u0627a\u0628"), "mixed directions");
    }

    @Test
    void unassignedOnlyRejectedInStoredStrings() {
        String unassigned = new String(Character.toChars(0x0378));
        assertEquals(unassigned, SaslPrep.prepare(unassigned));
        assertThrows(IllegalArgumentException.class, () -> SaslPrep.prepareStored(unassigned));
    }
}
