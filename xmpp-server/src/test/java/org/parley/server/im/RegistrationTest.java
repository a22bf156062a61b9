package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.XMPPException.XMPPErrorException;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.sasl.SASLErrorException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.parts.Localpart;
import org.parley.server.config.ServerSettings;
import org.parley.server.register.Registration;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/** In-band registration, XEP-0077, with Smack's AccountManager over STARTTLS. */
class RegistrationTest {

    /** Three registrations per address per hour, so the throttle is reachable in a test. */
    @RegisterExtension
    static final TestServer server = TestServer.withSettings(
            s -> s.withRegistration(new ServerSettings.Registration(true, 3)));

    private static XMPPTCPConnection anonymous() throws Exception {
        XMPPTCPConnection connection = new XMPPTCPConnection(server.config("unused").build());
        connection.connect();
        return connection;
    }

    @Test
    void registerChangePasswordAndRemoveThenThrottle() throws Exception {
        XMPPTCPConnection connection = anonymous();
        try {
            AccountManager accounts = AccountManager.getInstance(connection);
            assertTrue(accounts.supportsAccountCreation());
            accounts.createAccount(Localpart.from("newbie"), "first-password");

            // XEP-0077 §3.1: a taken name is a conflict.
            XMPPErrorException taken = assertThrows(XMPPErrorException.class,
                    () -> accounts.createAccount(Localpart.from("newbie"), "other-password"));
            assertEquals(StanzaError.Condition.conflict, taken.getStanzaError().getCondition());

            // A too-short password is refused with a reason.
            XMPPErrorException weak = assertThrows(XMPPErrorException.class,
                    () -> accounts.createAccount(Localpart.from("weakling"), "x"));
            assertEquals(StanzaError.Condition.not_acceptable, weak.getStanzaError().getCondition());
        } finally {
            connection.disconnect();
        }

        XMPPTCPConnection newbie = TestServer.login(server.config("newbie")
                .setUsernameAndPassword("newbie", "first-password").build());
        AccountManager.getInstance(newbie).changePassword("second-password");
        newbie.disconnect();

        XMPPTCPConnection again = TestServer.login(server.config("newbie")
                .setUsernameAndPassword("newbie", "second-password").build());
        try {
            AccountManager.getInstance(again).deleteAccount();
        } catch (SmackException.NotConnectedException e) {
            // XEP-0077 §3.2: the result is followed at once by a <not-authorized/> stream error. Smack sometimes
            // acts on the error before it hands the result (read in the same packet) to the waiting call; the
            // order on the wire is checked by removingTheAccountEndsItsOtherSessions' raw client below.
        }
        again.disconnect();
        assertFalse(server.server().accounts().exists("newbie"), "XEP-0077 §3.2: account removed");

        XMPPTCPConnection gone = new XMPPTCPConnection(server.config("newbie")
                .setUsernameAndPassword("newbie", "second-password").build());
        try {
            gone.connect();
            assertThrows(SASLErrorException.class, gone::login);
        } finally {
            gone.disconnect();
        }

        // One account was created from this address; the conflict and the weak password above created none
        // and so do not count: two more accounts fit in the limit of three, the next is refused
        // with resource-constraint and a text that names the limit.
        XMPPTCPConnection flood = anonymous();
        try {
            AccountManager accounts = AccountManager.getInstance(flood);
            accounts.createAccount(Localpart.from("flood0"), "flood-password");
            accounts.createAccount(Localpart.from("flood1"), "flood-password");
            XMPPErrorException limited = assertThrows(XMPPErrorException.class,
                    () -> accounts.createAccount(Localpart.from("flood2"), "flood-password"));
            assertEquals(StanzaError.Condition.resource_constraint, limited.getStanzaError().getCondition());
            assertTrue(limited.getStanzaError().getDescriptiveText().contains("at most 3 an hour"),
                    limited.getStanzaError().getDescriptiveText());
        } finally {
            flood.disconnect();
        }
    }

    @Test
    void xep0077_3_2_removingTheAccountEndsItsOtherSessionsToo() throws Exception {
        server.server().accounts().create("leaver", TestServer.PASSWORD);
        XMPPTCPConnection other = server.login("leaver", "phone");
        CountDownLatch closed = new CountDownLatch(1);
        other.addConnectionListener(new ConnectionListener() {
            @Override
            public void connectionClosedOnError(Exception e) {
                closed.countDown();
            }

            @Override
            public void connectionClosed() {
                closed.countDown();
            }
        });
        try (RawClient client = RawClient.loggedIn(server, "leaver")) {
            client.send("<iq type='set' id='rm'><query xmlns='jabber:iq:register'><remove/></query></iq>");
            assertTrue(client.await("<not-authorized").contains("id=\"rm\""), "removal acknowledged first");
        }
        assertTrue(closed.await(10, TimeUnit.SECONDS), "the account's other session ends");
        assertFalse(server.server().accounts().exists("leaver"));
    }
}
