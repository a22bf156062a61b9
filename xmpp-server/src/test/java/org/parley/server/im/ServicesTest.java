package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.jivesoftware.smack.XMPPException.XMPPErrorException;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.jivesoftware.smackx.iqprivate.PrivateDataManager;
import org.jivesoftware.smackx.iqprivate.packet.DefaultPrivateData;
import org.jivesoftware.smackx.iqprivate.packet.PrivateData;
import org.jivesoftware.smackx.iqversion.VersionManager;
import org.jivesoftware.smackx.iqversion.packet.Version;
import org.jivesoftware.smackx.ping.PingManager;
import org.jivesoftware.smackx.time.EntityTimeManager;
import org.jivesoftware.smackx.vcardtemp.VCardManager;
import org.jivesoftware.smackx.vcardtemp.packet.VCard;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.DomainBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.TestServer;

/** Server services used by every desktop client: disco, ping, time, version, vCard, private XML. */
class ServicesTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob");
    static XMPPTCPConnection alice;
    static XMPPTCPConnection bob;
    static DomainBareJid domain;

    @BeforeAll
    static void start() throws Exception {
        alice = server.login("alice");
        bob = server.login("bob");
        domain = JidCreate.domainBareFrom(TestServer.DOMAIN);
    }

    @AfterAll
    static void stop() {
        alice.disconnect();
        bob.disconnect();
    }

    @Test
    void xep0030_serverIdentityAndFeatures() throws Exception {
        DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(alice).discoverInfo(domain);
        assertTrue(info.hasIdentity("server", "im"), info.toXML().toString());
        for (String feature : new String[] {"urn:xmpp:ping", "vcard-temp", "jabber:iq:private", "jabber:iq:version",
                "urn:xmpp:time"}) {
            assertTrue(info.containsFeature(feature), feature + " in " + info.toXML());
        }
    }

    @Test
    void xep0199_pingTheServer() throws Exception {
        assertTrue(PingManager.getInstanceFor(alice).pingMyServer());
    }

    @Test
    void xep0202_entityTime() throws Exception {
        assertNotNull(EntityTimeManager.getInstanceFor(alice).getTime(domain).getUtc());
    }

    @Test
    void xep0092_softwareVersion() throws Exception {
        Version version = VersionManager.getInstanceFor(alice).getVersion(domain);
        assertNotNull(version.getName());
    }

    @Test
    void rfc6120_10_5_4_iqToAFullJidIsAnsweredByThatClientNotTheServer() throws Exception {
        VersionManager.getInstanceFor(bob).setVersion("Bob's client", "4.2");
        Version version = VersionManager.getInstanceFor(alice).getVersion(bob.getUser());
        assertTrue(version.getName().startsWith("Bob's client"), version.getName());
    }

    @Test
    void rfc6120_10_5_4_iqToAnOfflineResourceIsServiceUnavailable() {
        XMPPErrorException e = assertThrows(XMPPErrorException.class, () -> VersionManager.getInstanceFor(alice)
                .getVersion(JidCreate.entityFullFrom("bob@localhost/not-online")));
        assertEquals(StanzaError.Condition.service_unavailable, e.getStanzaError().getCondition());
    }

    @Test
    void xep0054_vcardRoundTripAndVisibleToOthers() throws Exception {
        VCardManager aliceCards = VCardManager.getInstanceFor(alice);
        VCard card = new VCard();
        card.setFirstName("Alice");
        card.setLastName("Liddell");
        card.setNickName("al");
        card.setEmailHome("alice@example.org");
        aliceCards.saveVCard(card);

        VCard mine = aliceCards.loadVCard();
        assertEquals("Alice", mine.getFirstName());
        assertEquals("al", mine.getNickName());

        VCard seenByBob = VCardManager.getInstanceFor(bob).loadVCard(JidCreate.entityBareFrom("alice@localhost"));
        assertEquals("Liddell", seenByBob.getLastName());
        assertEquals("alice@example.org", seenByBob.getEmailHome());
    }

    @Test
    void xep0049_privateXmlRoundTripWithItsWrapper() throws Exception {
        PrivateDataManager manager = PrivateDataManager.getInstanceFor(alice);
        DefaultPrivateData stored = new DefaultPrivateData("prefs", "urn:example:prefs");
        stored.setValue("theme", "dark");
        manager.setPrivateData(stored);
        PrivateData loaded = manager.getPrivateData("prefs", "urn:example:prefs");
        assertTrue(loaded instanceof DefaultPrivateData, loaded.getClass().getName());
        assertEquals("dark", ((DefaultPrivateData) loaded).getValue("theme"));
    }

    @Test
    void xep0049_privateXmlInReservedNamespaceIsNotAcceptable() {
        PrivateDataManager manager = PrivateDataManager.getInstanceFor(alice);
        XMPPErrorException e = assertThrows(XMPPErrorException.class,
                () -> manager.setPrivateData(new DefaultPrivateData("query", "jabber:iq:private")));
        assertEquals(StanzaError.Condition.not_acceptable, e.getStanzaError().getCondition());
    }
}
