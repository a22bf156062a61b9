package org.parley.server.c2s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.SASLAuthentication;
import org.jivesoftware.smack.sasl.SASLErrorException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.parley.server.testing.TestServer;

/** RFC 6120 §5 (STARTTLS), §6 (SASL) and §7 (binding) with Smack clients over real sockets. */
class LoginTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice");

    @BeforeAll
    static void start() throws Exception {
        for (int i = 0; i < 20; i++) {
            server.createUser("user" + i);
        }
    }

    @ParameterizedTest(name = "RFC 6120 §6: login with {0} over STARTTLS")
    @ValueSource(strings = {"SCRAM-SHA-1", "PLAIN"}) // Smack 4.5 has no SCRAM-SHA-256; see ScramSha256TranscriptTest
    void eachSaslMechanismLogsIn(String mechanism) throws Exception {
        XMPPTCPConnection connection = new XMPPTCPConnection(
                server.config("alice").addEnabledSaslMechanism(mechanism).build());
        try {
            connection.connect().login();
            assertTrue(connection.isSecureConnection(), "STARTTLS negotiated");
            assertEquals(mechanism, connection.getUsedSaslMechansism());
            assertEquals("alice@localhost", connection.getUser().asBareJid().toString());
        } finally {
            connection.disconnect();
        }
    }

    @ParameterizedTest(name = "RFC 6120 §6.5.10: {0} is not-authorized, without telling which part was wrong")
    @ValueSource(strings = {"wrong password", "unknown user"})
    void badCredentialsAreNotAuthorized(String what) throws Exception {
        String user = what.equals("unknown user") ? "nobody" : "alice";
        String password = what.equals("wrong password") ? "wrong-password" : TestServer.PASSWORD;
        XMPPTCPConnection connection = new XMPPTCPConnection(
                server.config(user).setUsernameAndPassword(user, password).build());
        try {
            connection.connect();
            SASLErrorException e = assertThrows(SASLErrorException.class, connection::login);
            assertEquals("not-authorized", e.getSASLFailure().getSASLErrorString());
        } finally {
            connection.disconnect();
        }
    }

    @Test
    void rfc6120_7_7_requestedResourceIsHonoured() throws Exception {
        XMPPTCPConnection connection = server.login("alice", "laptop");
        try {
            assertEquals("alice@localhost/laptop", connection.getUser().toString());
        } finally {
            connection.disconnect();
        }
    }

    @Test
    void fiftySequentialLoginsAllSucceed() throws Exception {
        for (int i = 0; i < 50; i++) {
            XMPPTCPConnection connection = server.login("user" + (i % 20));
            assertTrue(connection.isAuthenticated());
            connection.disconnect();
        }
    }

    @Test
    void twentyConcurrentLoginsAllSucceed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<XMPPTCPConnection>> logins = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String user = "user" + i;
                logins.add(pool.submit(() -> server.login(user)));
            }
            for (Future<XMPPTCPConnection> login : logins) {
                XMPPTCPConnection connection = login.get(60, TimeUnit.SECONDS);
                assertTrue(connection.isAuthenticated());
                connection.disconnect();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static {
        // Smack keeps a process-wide mechanism list; make sure none is blacklisted by another test.
        SASLAuthentication.unBlacklistSASLMechanism("SCRAM-SHA-1");
    }
}
