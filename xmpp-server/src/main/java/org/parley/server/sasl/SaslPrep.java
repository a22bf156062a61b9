package org.parley.server.sasl;

import java.text.Normalizer;

/**
 * SASLprep (RFC 4013), the stringprep profile SCRAM (RFC 5802 §2.2) and PLAIN (RFC 4616 §2) apply to user
 * names and passwords, so that e.g. a password typed as "IX" and as "Ⅸ" derives the same key on every client.
 *
 * <p>Implements the profile on the JDK's Unicode tables rather than Unicode 3.2: mapping (RFC 4013 §2.1),
 * NFKC (§2.2), the prohibited-output tables (§2.3) and the bidirectional rule (§2.4, RFC 3454 §6).
 * Unassigned code points (§2.5) are allowed in queries and rejected in stored strings.
 */
public final class SaslPrep {

    private SaslPrep() {
    }

    /** Prepares a "query" string (RFC 3454 §7): what a client sends when authenticating. */
    public static String prepare(String s) {
        return prepare(s, false);
    }

    /** Prepares a "stored string" (RFC 3454 §7): what is saved when a password is set; unassigned code points fail. */
    public static String prepareStored(String s) {
        return prepare(s, true);
    }

    /**
     * @throws IllegalArgumentException when the string contains a prohibited character or breaks the bidi rule
     */
    private static String prepare(String s, boolean stored) {
        // RFC 4013 §2.1: non-ASCII spaces (C.1.2) map to SPACE, "commonly mapped to nothing" (B.1) are removed.
        StringBuilder mapped = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (isNonAsciiSpace(cp)) {
                mapped.append(' ');
            } else if (!isMappedToNothing(cp)) {
                mapped.appendCodePoint(cp);
            }
        });
        // RFC 4013 §2.2: Unicode normalization form KC.
        String normalized = Normalizer.normalize(mapped, Normalizer.Form.NFKC);

        boolean hasRandAL = false;
        boolean hasL = false;
        for (int i = 0; i < normalized.length(); ) {
            int cp = normalized.codePointAt(i);
            i += Character.charCount(cp);
            if (isProhibited(cp)) {
                throw new IllegalArgumentException(String.format("prohibited character U+%04X", cp));
            }
            if (stored && !Character.isDefined(cp)) {
                throw new IllegalArgumentException(String.format("unassigned code point U+%04X", cp));
            }
            byte dir = Character.getDirectionality(cp);
            hasRandAL |= dir == Character.DIRECTIONALITY_RIGHT_TO_LEFT
                    || dir == Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC;
            hasL |= dir == Character.DIRECTIONALITY_LEFT_TO_RIGHT;
        }
        // RFC 3454 §6: a string with RandALCat characters has no LCat ones and starts and ends with RandALCat.
        if (hasRandAL && (hasL || !isRandAL(normalized.codePointAt(0))
                || !isRandAL(normalized.codePointBefore(normalized.length())))) {
            throw new IllegalArgumentException("string violates the bidirectional rule");
        }
        return normalized;
    }

    private static boolean isRandAL(int cp) {
        byte dir = Character.getDirectionality(cp);
        return dir == Character.DIRECTIONALITY_RIGHT_TO_LEFT || dir == Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC;
    }

    /** RFC 3454 table C.1.2. */
    private static boolean isNonAsciiSpace(int cp) {
        return cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** RFC 3454 table B.1. */
    private static boolean isMappedToNothing(int cp) {
        return cp == 0x00AD || cp == 0x034F || cp == 0x1806 || (cp >= 0x180B && cp <= 0x180D)
                || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF;
    }

    /** RFC 4013 §2.3: tables C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8 and C.9 of RFC 3454. */
    private static boolean isProhibited(int cp) {
        return isNonAsciiSpace(cp)
                || cp <= 0x1F || cp == 0x7F                                             // C.2.1
                || (cp >= 0x80 && cp <= 0x9F) || cp == 0x06DD || cp == 0x070F || cp == 0x180E // C.2.2
                || cp == 0x200C || cp == 0x200D || cp == 0x2028 || cp == 0x2029
                || (cp >= 0x2060 && cp <= 0x2063) || cp == 0xFEFF || (cp >= 0x1D173 && cp <= 0x1D17A)
                || (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xF0000 && cp <= 0xFFFFD)      // C.3
                || (cp >= 0x100000 && cp <= 0x10FFFD)
                || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE                // C.4
                || (cp >= 0xD800 && cp <= 0xDFFF)                                           // C.5
                || (cp >= 0xFFF9 && cp <= 0xFFFD)                                           // C.6
                || (cp >= 0x2FF0 && cp <= 0x2FFB)                                           // C.7
                || cp == 0x0340 || cp == 0x0341 || cp == 0x200E || cp == 0x200F             // C.8
                || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x206A && cp <= 0x206F)
                || cp == 0xE0001 || (cp >= 0xE0020 && cp <= 0xE007F);                       // C.9
    }
}
