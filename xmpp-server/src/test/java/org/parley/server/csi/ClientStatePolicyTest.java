package org.parley.server.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.junit.jupiter.api.Test;
import org.parley.server.parser.StanzaParsing;

/** The XEP-0352 holding policy on its own: what is important, the bound, superseded presence. */
class ClientStatePolicyTest {

    private static Stanza xml(String xml) {
        return StanzaParsing.parse(xml);
    }

    @Test
    void aFullBufferIsSentInOrder() {
        ClientState state = new ClientState(3);
        List<Stanza> sent = new ArrayList<>();
        state.inactive();
        state.write(xml("<presence xmlns='jabber:client' from='a@x/1'/>"), sent::add);
        state.write(xml("<presence xmlns='jabber:client' from='b@x/1'/>"), sent::add);
        assertEquals(0, sent.size());
        assertEquals(2, state.heldCount());
        state.write(xml("<presence xmlns='jabber:client' from='c@x/1'/>"), sent::add);
        assertEquals(List.of("a@x/1", "b@x/1", "c@x/1"), sent.stream().map(s -> s.getAttributeValue("from")).toList());
        assertEquals(0, state.heldCount());
    }

    @Test
    void importanceFollowsThePayload() {
        ClientState state = new ClientState(10);
        assertTrue(state.important(xml("<message xmlns='jabber:client' type='chat'><body>hi</body></message>")));
        assertFalse(state.important(xml("<message xmlns='jabber:client' type='chat'>"
                + "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>")));
        assertTrue(state.important(xml("<message xmlns='jabber:client'><request xmlns='urn:xmpp:receipts'/></message>")));
        assertTrue(state.important(xml("<message xmlns='jabber:client'>"
                + "<encrypted xmlns='eu.siacs.conversations.axolotl'/></message>")));
        assertTrue(state.important(xml("<presence xmlns='jabber:client' type='subscribe' from='a@x'/>")));
        assertFalse(state.important(xml("<presence xmlns='jabber:client' from='a@x/r'><show>away</show></presence>")));
        assertTrue(state.important(xml("<iq xmlns='jabber:client' type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>")));
        assertTrue(state.important(xml("<message xmlns='jabber:client' type='error'/>")));
        // A carbon copy matters as much as what it carries.
        assertTrue(state.important(xml("<message xmlns='jabber:client'><received xmlns='urn:xmpp:carbons:2'>"
                + "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' type='chat'><body>x</body>"
                + "</message></forwarded></received></message>")));
        assertFalse(state.important(xml("<message xmlns='jabber:client'><received xmlns='urn:xmpp:carbons:2'>"
                + "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' type='chat'>"
                + "<active xmlns='http://jabber.org/protocol/chatstates'/></message></forwarded></received></message>")));
    }

    @Test
    void unknownStanzaBuilderOutputIsSentWhenActive() {
        ClientState state = new ClientState(2);
        List<Stanza> sent = new ArrayList<>();
        state.write(new StanzaBuilder("presence", "jabber:client").build(), sent::add);
        assertEquals(1, sent.size(), "an active client gets everything at once");
    }
}
