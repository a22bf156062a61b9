package org.parley.server.sasl;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Base64;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ScramMechanismTest {

    private static final String DOMAIN = "example.org";

    /** The verifiers of user "user" / password "pencil" with the salts of the RFC examples. */
    private static final Map<ScramHash, ScramCredential> RFC_USER = new EnumMap<>(Map.of(
            ScramHash.SHA_1, Scram.credential(ScramHash.SHA_1, "pencil",
                    Base64.getDecoder().decode("QSXCR+Q6sek8bf92"), 4096),
            ScramHash.SHA_256, Scram.credential(ScramHash.SHA_256, "pencil",
                    Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096)));

    private static final CredentialLookup LOOKUP =
            name -> name.equals("user") ? Optional.of(RFC_USER) : Optional.empty();

    private static ScramMechanism server(ScramHash hash, String serverNonce) {
        return new ScramMechanism(hash, LOOKUP, DOMAIN, 4096, () -> serverNonce);
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static String challenge(SaslStep step) {
        return new String(assertInstanceOf(SaslStep.Challenge.class, step).data(), UTF_8);
    }

    private static void assertFailure(SaslFailure expected, SaslStep step) {
        assertEquals(expected, assertInstanceOf(SaslStep.Failure.class, step).condition());
    }

    /** A client-final-message for {@code password}, computed as a client would (RFC 5802 §3). */
    private static String clientFinal(ScramHash hash, String password, String gs2Header, String clientFirstBare,
                                      String serverFirst) {
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        String salt = serverFirst.substring(serverFirst.indexOf(",s=") + 3, serverFirst.indexOf(",i="));
        int iterations = Integer.parseInt(serverFirst.substring(serverFirst.indexOf(",i=") + 3));
        String withoutProof = "c=" + Base64.getEncoder().encodeToString(b(gs2Header)) + ",r=" + nonce;
        byte[] salted = Scram.hi(hash, b(password), Base64.getDecoder().decode(salt), iterations);
        byte[] clientKey = Scram.hmac(hash, salted, b("Client Key"));
        byte[] signature = Scram.hmac(hash, Scram.digest(hash, clientKey),
                b(clientFirstBare + "," + serverFirst + "," + withoutProof));
        for (int i = 0; i < clientKey.length; i++) {
            clientKey[i] ^= signature[i];
        }
        return withoutProof + ",p=" + Base64.getEncoder().encodeToString(clientKey);
    }

    @Test
    void rfc5802Sha1Example() {
        ScramMechanism server = server(ScramHash.SHA_1, "3rfcNHYJY1ZVvWVs7j");
        assertEquals("SCRAM-SHA-1", server.name());
        assertEquals("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
                challenge(server.start(b("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"))));
        SaslStep step = server.respond(
                b("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="));
        SaslStep.Success success = assertInstanceOf(SaslStep.Success.class, step);
        assertEquals("user", success.username());
        assertArrayEquals(b("v=rmF9pqV8S7suAoZWja4dJRkFsKQ="), success.additionalData());
        assertFailure(SaslFailure.MALFORMED_REQUEST, server.respond(b("c=biws")));
    }

    @Test
    void rfc7677Sha256Example() {
        ScramMechanism server = server(ScramHash.SHA_256, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        // Without an initial response the server asks for one with an empty challenge (RFC 6120 §6.4.2).
        assertEquals("", challenge(server.start(null)));
        assertEquals("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                challenge(server.respond(b("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))));
        SaslStep step = server.respond(b("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        SaslStep.Success success = assertInstanceOf(SaslStep.Success.class, step);
        assertEquals("user", success.username());
        assertArrayEquals(b("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="), success.additionalData());
    }

    @Test
    void randomNonceAndComputedProofSucceedWithAuthzidAndYFlag() {
        String gs2 = "y,a=user@Example.org,";
        String bare = "n=User,r=abcdefgh";
        ScramMechanism server = new ScramMechanism(ScramHash.SHA_256, LOOKUP, DOMAIN);
        String serverFirst = challenge(server.start(b(gs2 + bare)));
        assertNotEquals("r=abcdefgh", serverFirst.substring(0, serverFirst.indexOf(',')));
        SaslStep step = server.respond(b(clientFinal(ScramHash.SHA_256, "pencil", gs2, bare, serverFirst)));
        assertEquals("user", assertInstanceOf(SaslStep.Success.class, step).username());
    }

    @Test
    void wrongPasswordIsNotAuthorized() {
        ScramMechanism server = new ScramMechanism(ScramHash.SHA_1, LOOKUP, DOMAIN);
        String serverFirst = challenge(server.start(b("n,,n=user,r=abc")));
        assertFailure(SaslFailure.NOT_AUTHORIZED,
                server.respond(b(clientFinal(ScramHash.SHA_1, "pencil2", "n,,", "n=user,r=abc", serverFirst))));
    }

    @Test
    void unknownUserGetsStableChallengeThenNotAuthorized() {
        ScramMechanism server = new ScramMechanism(ScramHash.SHA_256, LOOKUP, DOMAIN, 8192);
        String serverFirst = challenge(server.start(b("n,,n=nobody,r=abc")));
        assertEquals(Scram.SALT_LENGTH, Base64.getDecoder()
                .decode(serverFirst.substring(serverFirst.indexOf(",s=") + 3, serverFirst.indexOf(",i="))).length);
        assertEquals("8192", serverFirst.substring(serverFirst.indexOf(",i=") + 3));
        assertFailure(SaslFailure.NOT_AUTHORIZED,
                server.respond(b(clientFinal(ScramHash.SHA_256, "pencil", "n,,", "n=nobody,r=abc", serverFirst))));

        String again = challenge(new ScramMechanism(ScramHash.SHA_256, LOOKUP, DOMAIN, 8192)
                .start(b("n,,n=nobody,r=abc")));
        assertEquals(salt(serverFirst), salt(again), "same fake salt on every attempt");
        String other = challenge(new ScramMechanism(ScramHash.SHA_256, LOOKUP, DOMAIN, 8192)
                .start(b("n,,n=somebody,r=abc")));
        assertNotEquals(salt(serverFirst), salt(other));
    }

    private static String salt(String serverFirst) {
        return serverFirst.substring(serverFirst.indexOf(",s="), serverFirst.indexOf(",i="));
    }

    @Test
    void tamperedNonceIsRejected() {
        ScramMechanism server = server(ScramHash.SHA_1, "3rfcNHYJY1ZVvWVs7j");
        server.start(b("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"));
        assertFailure(SaslFailure.NOT_AUTHORIZED, server.respond(
                b("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7X,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")));
    }

    @Test
    void wrongChannelBindingEchoIsRejected() {
        ScramMechanism server = server(ScramHash.SHA_1, "3rfcNHYJY1ZVvWVs7j");
        server.start(b("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"));
        // "eSws" is base64 of "y,," although the client sent "n,,".
        assertFailure(SaslFailure.NOT_AUTHORIZED, server.respond(
                b("c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")));
    }

    @Test
    void channelBindingRequestIsRefused() {
        assertFailure(SaslFailure.MALFORMED_REQUEST,
                server(ScramHash.SHA_256, "x").start(b("p=tls-exporter,,n=user,r=abc")));
    }

    @Test
    void badBase64IsMalformed() {
        ScramMechanism server = server(ScramHash.SHA_1, "3rfcNHYJY1ZVvWVs7j");
        server.start(b("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"));
        assertFailure(SaslFailure.MALFORMED_REQUEST, server.respond(
                b("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJ*bJQyF0X+HI4Ts=")));
    }

    @Test
    void authzidOfAnotherUserIsInvalid() {
        String gs2 = "n,a=admin@example.org,";
        ScramMechanism server = new ScramMechanism(ScramHash.SHA_256, LOOKUP, DOMAIN);
        String serverFirst = challenge(server.start(b(gs2 + "n=user,r=abc")));
        assertFailure(SaslFailure.INVALID_AUTHZID,
                server.respond(b(clientFinal(ScramHash.SHA_256, "pencil", gs2, "n=user,r=abc", serverFirst))));
    }

    @Test
    void malformedClientFirstMessages() {
        for (String message : new String[] {
                "", "n", "n,,", "x,,n=user,r=abc", "n,,n=us=41er,r=abc", "n,,n=user", "n,,r=abc,n=user",
                "n,,n=,r=abc", "n,,n=user,r=", "n,,n=user,r=a\u00e9", "n,,m=ext,n=user,r=abc", "n,b=x,n=user,r=abc",
                "n,,n=user,r=abc,1=x"}) {
            assertFailure(SaslFailure.MALFORMED_REQUEST, server(ScramHash.SHA_256, "x").start(b(message)));
        }
        assertFailure(SaslFailure.MALFORMED_REQUEST,
                server(ScramHash.SHA_256, "x").start(new byte[] {'n', ',', ',', 'n', '=', (byte) 0xC3}));
    }

    @Test
    void saslNameEscapes() throws Exception {
        assertEquals("a,b=c", ScramMechanism.saslName("a=2Cb=3Dc"));
        // A correctly escaped name is just another (unknown) user; a bad escape is malformed.
        assertInstanceOf(SaslStep.Challenge.class, server(ScramHash.SHA_256, "x").start(b("n,,n=us=3Der,r=abc")));
        assertFailure(SaslFailure.MALFORMED_REQUEST, server(ScramHash.SHA_256, "x").start(b("n,,n=us=2cer,r=abc")));
    }

    @Test
    void extensionsAreIgnored() {
        ScramMechanism server = new ScramMechanism(ScramHash.SHA_256, LOOKUP, DOMAIN);
        String serverFirst = challenge(server.start(b("n,,n=user,r=abc,x=ext")));
        assertInstanceOf(SaslStep.Success.class,
                server.respond(b(clientFinal(ScramHash.SHA_256, "pencil", "n,,", "n=user,r=abc,x=ext", serverFirst))));
    }

    @Test
    void respondBeforeStartIsMalformed() {
        assertFailure(SaslFailure.MALFORMED_REQUEST, server(ScramHash.SHA_256, "x").respond(b("n,,n=user,r=abc")));
    }
}
