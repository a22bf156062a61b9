package org.parley.server.sasl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

import org.junit.jupiter.api.Test;

/** The pad-state PBKDF2 against published test vectors and against the JDK's own PBKDF2. */
class Pbkdf2Test {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void rfc6070_pbkdf2HmacSha1_vectors() {
        assertArrayEquals(hex("0c60c80f961f0e71f3a9b524af6012062fe037a6"),
                Pbkdf2.hi(ScramHash.SHA_1, ascii("password"), ascii("salt"), 1));
        assertArrayEquals(hex("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
                Pbkdf2.hi(ScramHash.SHA_1, ascii("password"), ascii("salt"), 2));
        assertArrayEquals(hex("4b007901b765489abead49d926f721d065a429c1"),
                Pbkdf2.hi(ScramHash.SHA_1, ascii("password"), ascii("salt"), 4096));
        // RFC 6070 case 6 asks for 16 bytes: the first 16 of the single block.
        byte[] nul = Pbkdf2.hi(ScramHash.SHA_1, ascii("pass\0word"), ascii("sa\0lt"), 4096);
        assertArrayEquals(hex("56fa6aa75548099dcc37d7f03425e0c3"), Arrays.copyOf(nul, 16));
    }

    @Test
    void rfc7914_section11_pbkdf2HmacSha256_vectors() {
        // RFC 7914 §11 asks for 64 bytes (two blocks); SCRAM's Hi() is the first block.
        assertArrayEquals(hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"),
                Pbkdf2.hi(ScramHash.SHA_256, ascii("passwd"), ascii("salt"), 1));
        assertArrayEquals(hex("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"),
                Pbkdf2.hi(ScramHash.SHA_256, ascii("Password"), ascii("NaCl"), 80000));
    }

    @Test
    void sameAsTheJdksPbkdf2_forBothHashes_shortAndLongPasswords() throws Exception {
        // A password longer than the 64-byte HMAC block is hashed first (RFC 2104 §2): that branch too.
        for (String password : new String[] {"p", "pencil", "x".repeat(64), "y".repeat(65), "z".repeat(200)}) {
            byte[] salt = ascii("QSXCR+Q6sek8bf92");
            for (ScramHash hash : ScramHash.values()) {
                SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2With" + hash.macAlgorithm());
                byte[] expected = f.generateSecret(new PBEKeySpec(password.toCharArray(), salt, 4096, hash.length() * 8))
                        .getEncoded();
                assertArrayEquals(expected, Pbkdf2.hi(hash, ascii(password), salt, 4096), hash + " " + password.length());
            }
        }
    }

    @Test
    void zeroIterations_rejected() {
        assertThrows(IllegalArgumentException.class, () -> Pbkdf2.hi(ScramHash.SHA_1, ascii("p"), ascii("s"), 0));
    }
}
