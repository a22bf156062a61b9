package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.delivery.failure.ReturnErrorToSenderFailureStrategy;
import org.apache.vysper.xmpp.modules.servicediscovery.ServiceDiscoveryModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.junit.jupiter.api.Test;

class VcardTempModuleTest {

    private static final String ALICE_VCARD = "<vCard xmlns='vcard-temp'><FN>Alice &amp; Co</FN>"
            + "<N><FAMILY>Liddell</FAMILY><GIVEN>Alice</GIVEN></N>"
            + "<PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO></vCard>";
    private static final String ALICE_VCARD_RENDERED = "<vCard xmlns=\"vcard-temp\"><FN>Alice &amp; Co</FN>"
            + "<N><FAMILY>Liddell</FAMILY><GIVEN>Alice</GIVEN></N>"
            + "<PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORw0KGgo=</BINVAL></PHOTO></vCard>";

    private final ImHandlerFixture f = new ImHandlerFixture();
    private final VcardTempModule module = new VcardTempModule(f.store, 1024);
    private final VcardTempHandler handler = module.handler();

    private String iq(String attrs, String payload) {
        return "<iq xmlns='jabber:client' from='alice@example.com/phone' " + attrs + ">" + payload + "</iq>";
    }

    @Test
    void ownVcardIsEmptyWhenNoneStored() throws Exception {
        String reply = f.send(handler, iq("type='get' id='v1'", "<vCard xmlns='vcard-temp'/>"));
        assertEquals("<iq xmlns=\"jabber:client\" to=\"alice@example.com/phone\" type=\"result\" id=\"v1\">"
                + "<vCard xmlns=\"vcard-temp\"></vCard></iq>", reply);
    }

    @Test
    void setStoresTheWholeElementAndGetReturnsRealXml() throws Exception {
        String set = f.send(handler, iq("type='set' id='s1'", ALICE_VCARD));
        assertEquals("<iq xmlns=\"jabber:client\" to=\"alice@example.com/phone\" type=\"result\" id=\"s1\"></iq>",
                set);
        assertEquals(ALICE_VCARD_RENDERED, f.store.get("alice", "vcard-temp").orElseThrow());

        String get = f.send(handler, iq("type='get' id='g1'", "<vCard xmlns='vcard-temp'/>"));
        assertEquals("<iq xmlns=\"jabber:client\" to=\"alice@example.com/phone\" type=\"result\" id=\"g1\">"
                + ALICE_VCARD_RENDERED + "</iq>", get);
        // real elements, not escaped text
        Stanza parsed = ImHandlerFixture.parse(get);
        assertEquals("Alice & Co", parsed.getFirstInnerElement().getInnerElementsNamed("FN").get(0)
                .getInnerText().getText());
    }

    @Test
    void requestsToOwnBareJidAreAnsweredFromThatJid() throws Exception {
        String set = f.send(handler, iq("to='alice@example.com' type='set' id='s2'", ALICE_VCARD));
        assertEquals("<iq xmlns=\"jabber:client\" from=\"alice@example.com\" to=\"alice@example.com/phone\""
                + " type=\"result\" id=\"s2\"></iq>", set);
        String get = f.send(handler, iq("to='alice@example.com' type='get' id='g2'", "<vCard xmlns='vcard-temp'/>"));
        assertEquals("<iq xmlns=\"jabber:client\" from=\"alice@example.com\" to=\"alice@example.com/phone\""
                + " type=\"result\" id=\"g2\">" + ALICE_VCARD_RENDERED + "</iq>", get);
    }

    @Test
    void otherUsersVcardIsPublicAndEmptyWhenMissing() throws Exception {
        f.store.put("bob", "vcard-temp", "<vCard xmlns=\"vcard-temp\"><NICKNAME>bobby</NICKNAME></vCard>");
        String bob = f.send(handler, iq("to='bob@example.com' type='get' id='b1'", "<vCard xmlns='vcard-temp'/>"));
        assertEquals("<iq xmlns=\"jabber:client\" from=\"bob@example.com\" to=\"alice@example.com/phone\""
                + " type=\"result\" id=\"b1\"><vCard xmlns=\"vcard-temp\"><NICKNAME>bobby</NICKNAME></vCard></iq>",
                bob);
        String carol = f.send(handler, iq("to='carol@example.com' type='get' id='c1'",
                "<vCard xmlns='vcard-temp'/>"));
        assertEquals("<iq xmlns=\"jabber:client\" from=\"carol@example.com\" to=\"alice@example.com/phone\""
                + " type=\"result\" id=\"c1\"><vCard xmlns=\"vcard-temp\"></vCard></iq>", carol);
    }

    @Test
    void unknownLocalUserIsServiceUnavailableWhenAccountsAreKnown() throws Exception {
        f.accounts("alice", "bob");
        String reply = f.send(handler, iq("to='nobody@example.com' type='get' id='n1'",
                "<vCard xmlns='vcard-temp'/>"));
        assertEquals("<iq xmlns=\"jabber:client\" from=\"nobody@example.com\" to=\"alice@example.com/phone\""
                + " type=\"error\" id=\"n1\"><error type=\"cancel\">"
                + "<service-unavailable xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"></service-unavailable>"
                + "</error></iq>", reply);
        String bob = f.send(handler, iq("to='bob@example.com' type='get' id='b2'", "<vCard xmlns='vcard-temp'/>"));
        assertTrue(bob.contains("type=\"result\""), bob);
    }

    @Test
    void settingSomeoneElsesVcardIsForbidden() throws Exception {
        String reply = f.send(handler, iq("to='bob@example.com' type='set' id='x1'", ALICE_VCARD));
        assertEquals("<iq xmlns=\"jabber:client\" from=\"bob@example.com\" to=\"alice@example.com/phone\""
                + " type=\"error\" id=\"x1\"><error type=\"auth\">"
                + "<forbidden xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"></forbidden></error></iq>", reply);
        assertTrue(f.store.documents.isEmpty());
        String server = f.send(handler, iq("to='example.com' type='set' id='x2'", ALICE_VCARD));
        assertTrue(server.contains("<forbidden"), server);
        assertTrue(f.store.documents.isEmpty());
    }

    @Test
    void oversizedVcardIsNotAcceptable() throws Exception {
        String big = "<vCard xmlns='vcard-temp'><DESC>" + "x".repeat(2000) + "</DESC></vCard>";
        String reply = f.send(handler, iq("type='set' id='big'", big));
        assertEquals("<iq xmlns=\"jabber:client\" to=\"alice@example.com/phone\" type=\"error\" id=\"big\">"
                + "<error type=\"modify\"><not-acceptable xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\">"
                + "</not-acceptable></error></iq>", reply);
        assertTrue(f.store.documents.isEmpty());
    }

    @Test
    void emptyVcardSetClearsTheStoredOne() throws Exception {
        f.send(handler, iq("type='set' id='s1'", ALICE_VCARD));
        String reply = f.send(handler, iq("type='set' id='s2'", "<vCard xmlns='vcard-temp'/>"));
        assertTrue(reply.contains("type=\"result\""), reply);
        assertTrue(f.store.get("alice", "vcard-temp").isEmpty());
    }

    @Test
    void corruptStoredVcardReadsAsEmpty() throws Exception {
        f.store.put("alice", "vcard-temp", "<vCard xmlns='vcard-temp'><FN>broken");
        String reply = f.send(handler, iq("type='get' id='v9'", "<vCard xmlns='vcard-temp'/>"));
        assertTrue(reply.endsWith("<vCard xmlns=\"vcard-temp\"></vCard></iq>"), reply);
        f.store.put("alice", "vcard-temp", "<!DOCTYPE vCard [<!ENTITY x 'boom'>]><vCard xmlns='vcard-temp'>"
                + "<FN>&x;</FN></vCard>");
        reply = f.send(handler, iq("type='get' id='v10'", "<vCard xmlns='vcard-temp'/>"));
        assertTrue(reply.endsWith("<vCard xmlns=\"vcard-temp\"></vCard></iq>"), reply);
        f.store.put("alice", "vcard-temp", "<storage xmlns='storage:bookmarks'/>");
        reply = f.send(handler, iq("type='get' id='v11'", "<vCard xmlns='vcard-temp'/>"));
        assertTrue(reply.endsWith("<vCard xmlns=\"vcard-temp\"></vCard></iq>"), reply);
    }

    @Test
    void requestsToAFullJidAreRelayedNotAnswered() throws Exception {
        String reply = f.send(handler, iq("to='bob@example.com/laptop' type='get' id='r1'",
                "<vCard xmlns='vcard-temp'/>"));
        assertNull(reply);
        assertEquals(1, f.relay.relayed.size());
        assertEquals(EntityImpl.parseUnchecked("bob@example.com/laptop"), f.relay.relayed.get(0).receiver());
        assertEquals("r1", f.relay.relayed.get(0).stanza().getAttributeValue("id"));
        assertInstanceOf(ReturnErrorToSenderFailureStrategy.class, f.relay.relayed.get(0).strategy());
    }

    @Test
    void requestsToAnotherDomainAreRelayed() throws Exception {
        assertNull(f.send(handler, iq("to='carol@elsewhere.org' type='get' id='r2'",
                "<vCard xmlns='vcard-temp'/>")));
        assertEquals(EntityImpl.parseUnchecked("carol@elsewhere.org"), f.relay.relayed.get(0).receiver());
    }

    @Test
    void responsesAreNeverAnswered() throws Exception {
        // a client's answer to a vCard request addressed to its full JID travels on
        assertNull(f.send(handler, iq("to='bob@example.com/laptop' type='result' id='r3'",
                "<vCard xmlns='vcard-temp'/>")));
        assertEquals(1, f.relay.relayed.size());
        // a stray result to the server is dropped silently
        assertNull(f.send(handler, iq("type='result' id='r4'", "<vCard xmlns='vcard-temp'/>")));
        assertNull(f.send(handler, iq("type='error' id='r5'", "<vCard xmlns='vcard-temp'/>"
                + "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")));
        assertEquals(1, f.relay.relayed.size());
        assertTrue(f.store.documents.isEmpty());
    }

    @Test
    void inboundDeliveryIsWrittenToTheSession() throws Exception {
        String xml = "<iq xmlns='jabber:client' from='bob@example.com/laptop' to='alice@example.com/phone'"
                + " type='get' id='in1'><vCard xmlns='vcard-temp'/></iq>";
        assertNull(f.send(handler, xml, false));
        assertEquals(1, f.session.written.size());
        assertEquals("in1", f.session.written.get(0).getAttributeValue("id"));
        assertTrue(f.relay.relayed.isEmpty());
    }

    @Test
    void worksWithStanzaBuilderStanzas() throws Exception {
        Stanza get = StanzaBuilder.createIQStanza(ImHandlerFixture.ALICE_PHONE, null, IQStanzaType.GET, "sb1")
                .startInnerElement("vCard", "vcard-temp").endInnerElement().build();
        ResponseStanzaContainer response = handler.execute(get, f.runtime, true, f.session,
                new SessionStateHolder());
        assertEquals("<iq xmlns=\"jabber:client\" to=\"alice@example.com/phone\" type=\"result\" id=\"sb1\">"
                + "<vCard xmlns=\"vcard-temp\"></vCard></iq>",
                new Renderer(response.getResponseStanza()).getComplete());
    }

    @Test
    void advertisesVcardTempInServerDiscoInfo() throws Exception {
        List<InfoElement> infos = module.getServerInfosFor(new InfoRequest(ImHandlerFixture.ALICE_PHONE,
                f.runtime.getServerEnitity(), null, "d1"));
        assertEquals(1, infos.size());
        assertEquals("vcard-temp", ((Feature) infos.get(0)).getVar());
        assertNull(module.getServerInfosFor(new InfoRequest(ImHandlerFixture.ALICE_PHONE,
                f.runtime.getServerEnitity(), "some-node", "d2")));

        // wired into a runtime: handler lookup and the disco#info answer
        f.runtime.addModule(new ServiceDiscoveryModule());
        f.runtime.addModule(module);
        Stanza vcardGet = ImHandlerFixture.parse(iq("type='get' id='v1'", "<vCard xmlns='vcard-temp'/>"));
        StanzaHandler found = f.runtime.getHandler(vcardGet);
        assertSame(handler, found);
        Stanza discoGet = ImHandlerFixture.parse(iq("to='example.com' type='get' id='d3'",
                "<query xmlns='http://jabber.org/protocol/disco#info'/>"));
        ResponseStanzaContainer disco = f.runtime.getHandler(discoGet).execute(discoGet, f.runtime, true,
                f.session, new SessionStateHolder());
        String rendered = new Renderer(disco.getResponseStanza()).getComplete();
        assertTrue(rendered.contains("<feature var=\"vcard-temp\">"), rendered);
        assertFalse(rendered.contains("jabber:iq:private"), rendered);
    }
}
