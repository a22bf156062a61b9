package org.parley.server.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.guard.AddressKey;
import org.parley.server.register.Registration;
import org.parley.server.testing.TestServer;

/**
 * Issue 17, "the registration throttle groups IPv6 addresses by /64": one subscriber usually holds a whole /64
 * and could pick a fresh address for every account. The test machine's loopback has a single IPv6 address, so
 * the server's XEP-0077 handler is driven with the addresses a transport would report, on a real server's
 * account store.
 */
class RegistrationThrottleIpv6Test {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers();

    private static String register(Registration registration, String user, String address) {
        Stanza iq = StanzaBuilder.createIQStanza(null, null, IQStanzaType.SET, "r-" + user)
                .startInnerElement("query", "jabber:iq:register")
                .startInnerElement("username", "jabber:iq:register").addText(user).endInnerElement()
                .startInnerElement("password", "jabber:iq:register").addText("secret-" + user).endInnerElement()
                .endInnerElement().build();
        return new Renderer(registration.handle(iq, null, address).reply()).getComplete();
    }

    @Test
    void addressesOfOneSlash64ShareTheHourlyBudget() {
        assertEquals(AddressKey.of("2001:db8:1:2::10"), AddressKey.of("[2001:db8:1:2:ffff:ffff:ffff:1]"));
        assertEquals(AddressKey.of("2001:db8:1:2::10"), AddressKey.of("2001:db8:1:2::20%eth0"));
        assertNotEquals(AddressKey.of("2001:db8:1:2::10"), AddressKey.of("2001:db8:1:3::10"));
        assertEquals("192.0.2.7", AddressKey.of("192.0.2.7"));
        assertEquals("192.0.2.7", AddressKey.of("::ffff:192.0.2.7")); // IPv4-mapped: the IPv4 address

        Registration registration = new Registration(server.server().accounts(), true, 2, Clock.systemUTC());
        assertTrue(register(registration, "six1", "2001:db8:1:2::10").contains("type=\"result\""));
        assertTrue(register(registration, "six2", "2001:db8:1:2:ffff::1").contains("type=\"result\""));
        String refused = register(registration, "six3", "2001:db8:1:2:abcd::5");
        assertTrue(refused.contains("type=\"error\"") && refused.contains("resource-constraint"), refused);
        // Another /64 is another subscriber.
        assertTrue(register(registration, "six4", "2001:db8:1:3::1").contains("type=\"result\""));
        assertTrue(server.server().accounts().exists("six4"));
    }
}
