package org.parley.server.im;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.modules.servicediscovery.ServiceDiscoveryModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.junit.jupiter.api.Test;

class PrivateXmlModuleTest {

    private static final String BOOKMARKS = "<storage xmlns='storage:bookmarks'>"
            + "<conference name='Council' autojoin='true' jid='council@conference.example.com'>"
            + "<nick>alice</nick></conference></storage>";
    private static final String BOOKMARKS_RENDERED = "<storage xmlns=\"storage:bookmarks\">"
            + "<conference name=\"Council\" autojoin=\"true\" jid=\"council@conference.example.com\">"
            + "<nick>alice</nick></conference></storage>";
    private static final String RESULT_HEAD =
            "<iq xmlns=\"jabber:client\" to=\"alice@example.com/phone\" type=\"result\" id=\"";

    private final ImHandlerFixture f = new ImHandlerFixture();
    private final PrivateXmlModule module = new PrivateXmlModule(f.store);
    private final PrivateXmlHandler handler = module.handler();

    private String iq(String attrs, String queryContent) {
        return "<iq xmlns='jabber:client' from='alice@example.com/phone' " + attrs + ">"
                + "<query xmlns='jabber:iq:private'>" + queryContent + "</query></iq>";
    }

    private static String error(String id, String type, String condition) {
        return "<iq xmlns=\"jabber:client\" to=\"alice@example.com/phone\" type=\"error\" id=\"" + id + "\">"
                + "<error type=\"" + type + "\"><" + condition + " xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\">"
                + "</" + condition + "></error></iq>";
    }

    @Test
    void getWithNothingStoredReturnsTheEmptyElementInsideQuery() throws Exception {
        String reply = f.send(handler, iq("type='get' id='p1'", "<storage xmlns='storage:bookmarks'/>"));
        assertEquals(RESULT_HEAD + "p1\"><query xmlns=\"jabber:iq:private\">"
                + "<storage xmlns=\"storage:bookmarks\"></storage></query></iq>", reply);
    }

    @Test
    void setThenGetRoundTripsTheElementWithItsNamespace() throws Exception {
        String set = f.send(handler, iq("type='set' id='p2'", BOOKMARKS));
        assertEquals(RESULT_HEAD + "p2\"></iq>", set);
        assertEquals(BOOKMARKS_RENDERED, f.store.get("alice", "storage storage:bookmarks").orElseThrow());

        String get = f.send(handler, iq("type='get' id='p3'", "<storage xmlns='storage:bookmarks'/>"));
        assertEquals(RESULT_HEAD + "p3\"><query xmlns=\"jabber:iq:private\">" + BOOKMARKS_RENDERED
                + "</query></iq>", get);
        Stanza parsed = ImHandlerFixture.parse(get);
        assertEquals("storage:bookmarks", parsed.getFirstInnerElement().getFirstInnerElement().getNamespaceURI());
    }

    @Test
    void setStoresEachChildUnderItsOwnKey() throws Exception {
        String set = f.send(handler, iq("type='set' id='p4'",
                "<prefs xmlns='urn:example:prefs'><sound>off</sound></prefs>"
                        + "<prefs xmlns='urn:example:other'/><x:notes xmlns:x='urn:example:notes'>hi</x:notes>"));
        assertEquals(RESULT_HEAD + "p4\"></iq>", set);
        assertEquals("<prefs xmlns=\"urn:example:prefs\"><sound>off</sound></prefs>",
                f.store.get("alice", "prefs urn:example:prefs").orElseThrow());
        assertEquals("<prefs xmlns=\"urn:example:other\"></prefs>",
                f.store.get("alice", "prefs urn:example:other").orElseThrow());
        assertEquals("<x:notes xmlns:x=\"urn:example:notes\">hi</x:notes>",
                f.store.get("alice", "notes urn:example:notes").orElseThrow());

        String get = f.send(handler, iq("type='get' id='p5'", "<notes xmlns='urn:example:notes'/>"));
        assertEquals(RESULT_HEAD + "p5\"><query xmlns=\"jabber:iq:private\">"
                + "<x:notes xmlns:x=\"urn:example:notes\">hi</x:notes></query></iq>", get);
    }

    @Test
    void prefixDeclaredOnAnAncestorIsKeptInTheStoredText() throws Exception {
        String xml = "<iq xmlns='jabber:client' xmlns:b='urn:example:b' from='alice@example.com/phone'"
                + " type='set' id='p6'><query xmlns='jabber:iq:private'><b:data><b:item/></b:data></query></iq>";
        assertEquals(RESULT_HEAD + "p6\"></iq>", f.send(handler, xml));
        String stored = f.store.get("alice", "data urn:example:b").orElseThrow();
        assertEquals("<b:data xmlns:b=\"urn:example:b\"><b:item></b:item></b:data>", stored);
        ImHandlerFixture.parse(stored); // well-formed on its own
    }

    @Test
    void ownBareJidIsAllowedAndAnswersFromIt() throws Exception {
        String set = f.send(handler, iq("to='alice@example.com' type='set' id='p7'", BOOKMARKS));
        assertEquals("<iq xmlns=\"jabber:client\" from=\"alice@example.com\" to=\"alice@example.com/phone\""
                + " type=\"result\" id=\"p7\"></iq>", set);
        String get = f.send(handler, iq("to='alice@example.com' type='get' id='p8'",
                "<storage xmlns='storage:bookmarks'/>"));
        assertTrue(get.startsWith("<iq xmlns=\"jabber:client\" from=\"alice@example.com\""), get);
        assertTrue(get.contains(BOOKMARKS_RENDERED), get);
    }

    @Test
    void anotherUsersDataIsForbidden() throws Exception {
        f.store.put("bob", "storage storage:bookmarks", "<storage xmlns=\"storage:bookmarks\"/>");
        String get = f.send(handler, iq("to='bob@example.com' type='get' id='f1'",
                "<storage xmlns='storage:bookmarks'/>"));
        assertEquals("<iq xmlns=\"jabber:client\" from=\"bob@example.com\" to=\"alice@example.com/phone\""
                + " type=\"error\" id=\"f1\"><error type=\"cancel\">"
                + "<forbidden xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"></forbidden></error></iq>", get);
        String set = f.send(handler, iq("to='bob@example.com' type='set' id='f2'", BOOKMARKS));
        assertTrue(set.contains("<error type=\"cancel\"><forbidden"), set);
        String server = f.send(handler, iq("to='example.com' type='set' id='f3'", BOOKMARKS));
        assertTrue(server.contains("<error type=\"cancel\"><forbidden"), server);
        assertEquals(1, f.store.documents.size());
    }

    @Test
    void reservedNamespacesAreNotAcceptable() throws Exception {
        // no xmlns: inherits jabber:iq:private from <query/>
        assertEquals(error("n1", "modify", "not-acceptable"),
                f.send(handler, iq("type='set' id='n1'", "<storage/>")));
        assertEquals(error("n2", "modify", "not-acceptable"),
                f.send(handler, iq("type='set' id='n2'", "<x xmlns='jabber:client'/>")));
        assertEquals(error("n3", "modify", "not-acceptable"),
                f.send(handler, iq("type='get' id='n3'", "<x xmlns='jabber:server'/>")));
        assertEquals(error("n4", "modify", "not-acceptable"),
                f.send(handler, iq("type='get' id='n4'", "<query xmlns='jabber:iq:private'/>")));
        assertTrue(f.store.documents.isEmpty());
    }

    @Test
    void aSetWithOneBadChildStoresNothing() throws Exception {
        assertEquals(error("n5", "modify", "not-acceptable"),
                f.send(handler, iq("type='set' id='n5'", BOOKMARKS + "<x xmlns='jabber:client'/>")));
        assertTrue(f.store.documents.isEmpty());
    }

    @Test
    void getNeedsExactlyOneChild() throws Exception {
        assertEquals(error("b1", "modify", "bad-request"), f.send(handler, iq("type='get' id='b1'", "")));
        assertEquals(error("b2", "modify", "bad-request"), f.send(handler, iq("type='get' id='b2'",
                "<a xmlns='urn:a'/><b xmlns='urn:b'/>")));
    }

    @Test
    void emptySetIsNotAcceptable() throws Exception {
        assertEquals(error("e1", "modify", "not-acceptable"), f.send(handler, iq("type='set' id='e1'", "")));
    }

    @Test
    void oversizedFragmentIsNotAcceptable() throws Exception {
        PrivateXmlHandler small = new PrivateXmlModule(f.store, 100).handler();
        assertEquals(error("o1", "modify", "not-acceptable"), f.send(small, iq("type='set' id='o1'",
                "<big xmlns='urn:big'>" + "y".repeat(200) + "</big>")));
        assertTrue(f.store.documents.isEmpty());
    }

    @Test
    void requestsToAFullJidAreRelayed() throws Exception {
        assertNull(f.send(handler, iq("to='bob@example.com/laptop' type='get' id='r1'",
                "<storage xmlns='storage:bookmarks'/>")));
        assertEquals(1, f.relay.relayed.size());
        assertEquals(EntityImpl.parseUnchecked("bob@example.com/laptop"), f.relay.relayed.get(0).receiver());
    }

    @Test
    void inboundDeliveryIsWrittenToTheSession() throws Exception {
        String xml = "<iq xmlns='jabber:client' from='bob@example.com/laptop' to='alice@example.com/phone'"
                + " type='get' id='in1'><query xmlns='jabber:iq:private'><a xmlns='urn:a'/></query></iq>";
        assertNull(f.send(handler, xml, false));
        assertEquals(1, f.session.written.size());
    }

    @Test
    void worksWithStanzaBuilderStanzas() throws Exception {
        Stanza set = StanzaBuilder.createIQStanza(ImHandlerFixture.ALICE_PHONE, null, IQStanzaType.SET, "sb1")
                .startInnerElement("query", "jabber:iq:private")
                .startInnerElement("prefs", "urn:example:prefs").addAttribute("theme", "dark").endInnerElement()
                .endInnerElement().build();
        ResponseStanzaContainer response = handler.execute(set, f.runtime, true, f.session,
                new SessionStateHolder());
        assertEquals(RESULT_HEAD + "sb1\"></iq>", new Renderer(response.getResponseStanza()).getComplete());
        assertEquals("<prefs xmlns=\"urn:example:prefs\" theme=\"dark\"></prefs>",
                f.store.get("alice", PrivateXmlHandler.key("prefs", "urn:example:prefs")).orElseThrow());
    }

    @Test
    void advertisesJabberIqPrivateInServerDiscoInfo() throws Exception {
        List<InfoElement> infos = module.getServerInfosFor(new InfoRequest(ImHandlerFixture.ALICE_PHONE,
                f.runtime.getServerEnitity(), null, "d1"));
        assertEquals(1, infos.size());
        assertEquals("jabber:iq:private", ((Feature) infos.get(0)).getVar());

        f.runtime.addModule(new ServiceDiscoveryModule());
        f.runtime.addModule(module);
        assertSame(handler, f.runtime.getHandler(ImHandlerFixture.parse(iq("type='get' id='x'", "<a xmlns='urn:a'/>"))));
        Stanza discoGet = ImHandlerFixture.parse("<iq xmlns='jabber:client' from='alice@example.com/phone'"
                + " to='example.com' type='get' id='d2'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
        ResponseStanzaContainer disco = f.runtime.getHandler(discoGet).execute(discoGet, f.runtime, true,
                f.session, new SessionStateHolder());
        String rendered = new Renderer(disco.getResponseStanza()).getComplete();
        assertTrue(rendered.contains("<feature var=\"jabber:iq:private\">"), rendered);
    }
}
