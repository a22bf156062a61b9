package org.parley.server.retract;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.message_retraction.MessageRetractionManager;
import org.jivesoftware.smackx.sid.element.OriginIdElement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Message Retraction (XEP-0424) and Moderation (XEP-0425) as they reach the archive: the retraction is
 * relayed and archived, and the retracted message's body is never served from MAM again (a tombstone takes
 * its place). Smack 4.5 sends the older {@code message-retract:0} form; raw transcripts send the current one.
 */
class RetractionTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol", "dave", "erin", "mallory");

    private static final String MAM_QUERY = "<iq type='set' id='q'><query xmlns='urn:xmpp:mam:2' queryid='qq'/></iq>";

    /** Everything the archive query returns, up to its closing IQ. */
    private static String archive(RawClient client, String to) throws Exception {
        client.clear();
        client.send(to == null ? MAM_QUERY : MAM_QUERY.replace("id='q'", "id='q' to='" + to + "'"));
        client.await("<fin ");
        return client.await("</iq>");
    }

    @Test
    void xep0424_smackRetractsAOneToOneMessageAndBothArchivesKeepOnlyATombstone() throws Exception {
        XMPPTCPConnection alice = server.login("alice");
        try (RawClient bob = RawClient.loggedIn(server, "bob")) {
            bob.send("<presence/>");
            MessageBuilder original = alice.getStanzaFactory().buildMessageStanza()
                    .to(JidCreate.from("bob@localhost/raw")).ofType(Message.Type.chat).setBody("the secret plan");
            OriginIdElement originId = OriginIdElement.addTo(original);
            alice.sendStanza(original.build());
            bob.await("the secret plan");

            MessageBuilder retraction = alice.getStanzaFactory().buildMessageStanza()
                    .to(JidCreate.from("bob@localhost/raw")).ofType(Message.Type.chat);
            MessageRetractionManager.addRetractionElementToMessage(originId, retraction);
            alice.sendStanza(retraction.build());
            String relayed = bob.await("urn:xmpp:message-retract:0");
            assertTrue(relayed.contains("id=\"" + originId.getId() + "\""), "the retraction is relayed: " + relayed);

            String bobs = archive(bob, null);
            assertFalse(bobs.contains("the secret plan"), "the retracted body is not served from MAM: " + bobs);
            assertTrue(bobs.contains("<retracted xmlns=\"urn:xmpp:message-retract:1\" stamp=")
                    && bobs.contains("<origin-id xmlns=\"urn:xmpp:sid:0\" id=\"" + originId.getId() + "\""),
                    "a tombstone with the origin-id takes its place: " + bobs);
            assertTrue(bobs.contains("urn:xmpp:fasten:0"), "the retraction itself is archived (XEP-0424 §7): " + bobs);
        } finally {
            alice.disconnect();
        }
        try (RawClient aliceRaw = RawClient.loggedIn(server, "alice")) {
            String alices = archive(aliceRaw, null);
            assertFalse(alices.contains("the secret plan"), alices);
            assertTrue(alices.contains("<retracted xmlns=\"urn:xmpp:message-retract:1\""), alices);
        }
    }

    @Test
    void xep0424_onlyTheAuthorRetracts() throws Exception {
        try (RawClient carol = RawClient.loggedIn(server, "carol");
             RawClient dave = RawClient.loggedIn(server, "dave")) {
            carol.send("<presence/>");
            dave.send("<presence/>");
            carol.send("<message to='dave@localhost' type='chat' id='c1'><body>carol's words</body>"
                    + "<origin-id xmlns='urn:xmpp:sid:0' id='carol-1'/></message>");
            dave.await("carol's words");
            // Dave tries to retract carol's message in his own archive by naming its origin-id.
            dave.send("<message to='carol@localhost' type='chat' id='d1'>"
                    + "<retract id='carol-1' xmlns='urn:xmpp:message-retract:1'/><body>fallback</body></message>");
            carol.await("urn:xmpp:message-retract:1");
            assertTrue(archive(dave, null).contains("carol's words"), "dave is not carol");
            assertTrue(archive(carol, null).contains("carol's words"), "dave is not carol");
            // Carol herself can (current XEP-0424 form, no fallback body).
            dave.clear();
            carol.send("<message to='dave@localhost' type='chat' id='c2'>"
                    + "<retract id='carol-1' xmlns='urn:xmpp:message-retract:1'/></message>");
            dave.await("<retract ");
            assertFalse(archive(dave, null).contains("carol's words"), dave.received());
            assertFalse(archive(carol, null).contains("carol's words"), carol.received());
        }
    }

    private static void join(RawClient client, String room, String nick) throws Exception {
        client.send("<presence to='" + room + "/" + nick + "'><x xmlns='http://jabber.org/protocol/muc'>"
                + "<history maxstanzas='0'/></x></presence>");
        client.await("code=\"110\"");
        client.clear();
    }

    private static String stanzaId(String received, String body) {
        int at = received.indexOf(body);
        int sid = received.lastIndexOf("<stanza-id", at) >= 0 && received.indexOf("<stanza-id", at) < 0
                ? received.lastIndexOf("<stanza-id", at) : received.indexOf("<stanza-id", at);
        int start = received.indexOf("id=\"", sid) + 4;
        return received.substring(start, received.indexOf('"', start));
    }

    @Test
    void xep0425_aModeratorRetractsAMessageAndTheRoomArchiveKeepsATombstone() throws Exception {
        String room = "moderated@conference.localhost";
        try (RawClient erin = RawClient.loggedIn(server, "erin");
             RawClient mallory = RawClient.loggedIn(server, "mallory")) {
            // Erin creates the room with logging on (XEP-0045 §10.1.3, muc#roomconfig_enablelogging).
            erin.send("<presence to='" + room + "/erin'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            erin.await("code=\"201\"");
            erin.send("<iq type='set' id='cfg' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                    + "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
                    + "<value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                    + "<field var='muc#roomconfig_enablelogging'><value>1</value></field></x></query></iq>");
            erin.await("id=\"cfg\"");
            erin.clear();
            erin.send("<iq type='get' id='info' to='" + room + "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
            String info = erin.await("</iq>");
            assertTrue(info.contains("var=\"urn:xmpp:mam:2\"") && info.contains("var=\"urn:xmpp:message-moderate:1\"")
                    && info.contains("var=\"urn:xmpp:message-retract:1\""), info);
            erin.clear();
            join(mallory, room, "mallory");

            mallory.send("<message to='" + room + "' type='groupchat' id='m1'><body>spam spam spam</body></message>");
            String heard = erin.await("spam spam spam");
            erin.await("</message>");
            String spamId = stanzaId(erin.received(), "spam spam spam");
            mallory.send("<message to='" + room + "' type='groupchat' id='m2'><body>a fine remark</body></message>");
            erin.await("a fine remark");
            erin.await("</message>");
            String fineId = stanzaId(erin.received(), "a fine remark");
            assertFalse(spamId.equals(fineId), heard);
            mallory.clear();
            erin.clear();

            // A participant may not moderate (XEP-0425 §5: forbidden).
            mallory.send("<iq type='set' id='mod0' to='" + room + "'><moderate id='" + fineId
                    + "' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>");
            String refused = mallory.await("</iq>");
            assertTrue(refused.contains("type=\"error\"") && refused.contains("<forbidden"), refused);
            mallory.clear();
            // An unknown id is item-not-found.
            erin.send("<iq type='set' id='mod1' to='" + room + "'><moderate id='no-such-id'"
                    + " xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate></iq>");
            String unknown = erin.await("</iq>");
            assertTrue(unknown.contains("<item-not-found"), unknown);
            erin.clear();

            erin.send("<iq type='set' id='mod2' to='" + room + "'><moderate id='" + spamId
                    + "' xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/>"
                    + "<reason>spam</reason></moderate></iq>");
            erin.await("id=\"mod2\"");
            String notice = mallory.await("</message>");
            assertTrue(notice.contains("from=\"" + room + "\"") && notice.contains("<retract xmlns=\"urn:xmpp:message-retract:1\" id=\"" + spamId + "\"")
                    && notice.contains("<moderated xmlns=\"urn:xmpp:message-moderate:1\" by=\"" + room + "/erin\"")
                    && notice.contains("<reason>spam</reason>"), "the room tells every occupant: " + notice);

            String archived = archive(mallory, room);
            assertFalse(archived.contains("spam spam spam"), "the moderated body is not served from MAM: " + archived);
            assertTrue(archived.contains("a fine remark"), archived);
            assertTrue(archived.contains("<retracted xmlns=\"urn:xmpp:message-retract:1\"")
                    && archived.contains("by=\"" + room + "/erin\""), "a tombstone naming the moderator: " + archived);

            // A newcomer's history no longer replays it (XEP-0424 §7).
            try (RawClient dave = RawClient.loggedIn(server, "dave")) {
                dave.send("<presence to='" + room + "/dave'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
                dave.await("a fine remark");
                assertFalse(dave.received().contains("spam spam spam"), dave.received());
            }
        }
    }

    @Test
    void xep0424_inARoomOnlyTheAuthorRetracts() throws Exception {
        String room = "retracting@conference.localhost";
        try (RawClient erin = RawClient.loggedIn(server, "erin");
             RawClient carol = RawClient.loggedIn(server, "carol")) {
            erin.send("<presence to='" + room + "/erin'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            erin.await("code=\"201\"");
            erin.send("<iq type='set' id='cfg' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                    + "<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
                    + "<value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                    + "<field var='muc#roomconfig_enablelogging'><value>1</value></field></x></query></iq>");
            erin.await("id=\"cfg\"");
            join(carol, room, "carol");
            erin.clear();
            carol.send("<message to='" + room + "' type='groupchat'><body>oops, wrong room</body></message>");
            carol.await("oops, wrong room");
            carol.await("</message>");
            String id = stanzaId(carol.received(), "oops, wrong room");
            erin.await("oops, wrong room");
            erin.clear();
            // Erin is not the author: refused (moderators use XEP-0425).
            erin.send("<message to='" + room + "' type='groupchat' id='e1'><retract id='" + id
                    + "' xmlns='urn:xmpp:message-retract:1'/></message>");
            assertTrue(erin.await("</message>").contains("<forbidden"), erin.received());
            carol.clear();
            erin.clear();
            carol.send("<message to='" + room + "' type='groupchat' id='c1'><retract id='" + id
                    + "' xmlns='urn:xmpp:message-retract:1'/><body>fallback</body></message>");
            erin.await("<retract ");
            assertTrue(erin.received().contains("from=\"" + room + "/carol\""), "relayed to the room: " + erin.received());
            String archived = archive(erin, room);
            assertFalse(archived.contains("oops, wrong room"), archived);
            assertTrue(archived.contains("<retracted "), archived);
        }
    }
}
