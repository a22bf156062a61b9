package org.parley.server.c2s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * SCRAM-SHA-256 (RFC 7677) end to end over a real socket. Smack 4.5 implements only SCRAM-SHA-1, so this
 * test carries its own small client side of RFC 5802 §3, written from the RFC.
 */
class ScramSha256TranscriptTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice");

    @Test
    void rfc7677_scramSha256LoginVerifiesTheServerSignature() throws Exception {
        try (RawClient client = RawClient.directTls(server.server().directTlsPort(), server.clientSslContext())) {
            client.openStream().await("</stream:features>");
            String nonce = Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(18));
            String clientFirstBare = "n=alice,r=" + nonce;
            client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>"
                    + b64("n,," + clientFirstBare) + "</auth>");
            String serverFirst = unb64(between(client.await("</challenge>"), "<challenge", "</challenge>"));
            Map<String, String> sf = attributes(serverFirst);
            assertTrue(sf.get("r").startsWith(nonce), "server nonce extends the client's");
            byte[] salted = pbkdf2(TestServer.PASSWORD, Base64.getDecoder().decode(sf.get("s")),
                    Integer.parseInt(sf.get("i")));
            String clientFinalNoProof = "c=" + b64("n,,") + ",r=" + sf.get("r");
            String authMessage = clientFirstBare + "," + serverFirst + "," + clientFinalNoProof;
            byte[] clientKey = hmac(salted, "Client Key");
            byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
            byte[] signature = hmac(storedKey, authMessage);
            byte[] proof = new byte[clientKey.length];
            for (int i = 0; i < proof.length; i++) {
                proof[i] = (byte) (clientKey[i] ^ signature[i]);
            }
            client.clear();
            client.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                    + b64(clientFinalNoProof + ",p=" + Base64.getEncoder().encodeToString(proof)) + "</response>");
            String success = unb64(between(client.await("</success>"), "<success", "</success>"));
            byte[] serverSignature = hmac(hmac(salted, "Server Key"), authMessage);
            assertEquals("v=" + Base64.getEncoder().encodeToString(serverSignature), success,
                    "RFC 5802 §3: the server proves it knows the verifier");
        }
    }

    private static String between(String text, String open, String close) {
        int start = text.indexOf('>', text.indexOf(open)) + 1;
        return text.substring(start, text.indexOf(close, start));
    }

    private static Map<String, String> attributes(String message) {
        Map<String, String> map = new HashMap<>();
        Matcher m = Pattern.compile("([a-z])=([^,]*)").matcher(message);
        while (m.find()) {
            map.put(m.group(1), m.group(2));
        }
        return map;
    }

    private static byte[] pbkdf2(String password, byte[] salt, int iterations) throws Exception {
        return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
    }

    private static byte[] hmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s.trim()), StandardCharsets.UTF_8);
    }
}
