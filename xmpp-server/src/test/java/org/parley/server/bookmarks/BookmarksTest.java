package org.parley.server.bookmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.bookmarks.BookmarkManager;
import org.jivesoftware.smackx.bookmarks.BookmarkedConference;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.disco.packet.DiscoverInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * PEP Native Bookmarks (XEP-0402) and their conversion to and from private-XML bookmarks (XEP-0048 over
 * XEP-0049, XEP-0411): Smack's {@link BookmarkManager} speaks the old format, a raw transcript the new one.
 */
class BookmarksTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi");

    private static final String ROOM = "council@conference.localhost";

    /** A PEP publish with XEP-0223 publish-options: persistent, whitelist, and {@code fields} besides. */
    private static String publishPrivately(String id, String node, String itemId, String payload, String fields) {
        return "<iq type='set' id='" + id + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                + "<publish node='" + node + "'><item id='" + itemId + "'>" + payload + "</item></publish>"
                + "<publish-options><x xmlns='jabber:x:data' type='submit'>"
                + "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
                + "<field var='pubsub#persist_items'><value>true</value></field>" + fields
                + "<field var='pubsub#access_model'><value>whitelist</value></field>"
                + "</x></publish-options></pubsub></iq>";
    }

    /** XEP-0402 §3.4: the options a client publishes a bookmark with. */
    private static String publish(String id, String jid, String payload) {
        return publishPrivately(id, "urn:xmpp:bookmarks:1", jid, payload,
                "<field var='pubsub#max_items'><value>max</value></field>"
                        + "<field var='pubsub#send_last_published_item'><value>never</value></field>");
    }

    private static final String ITEMS = "<iq type='get' id='items'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
            + "<items node='urn:xmpp:bookmarks:1'/></pubsub></iq>";

    private static List<BookmarkedConference> legacyBookmarks(String user) throws Exception {
        // A fresh connection: BookmarkManager caches what it read once.
        XMPPTCPConnection c = server.login(user);
        try {
            return BookmarkManager.getBookmarkManager(c).getBookmarkedConferences();
        } finally {
            c.disconnect();
        }
    }

    @Test
    void xep0411_privateXmlBookmarksBecomeNativeItemsAndSubscribersAreNotified() throws Exception {
        try (RawClient raw = RawClient.loggedIn(server, "alice")) {
            // A XEP-0402 client made the node; the owner subscribes explicitly (as +notify would have it sent).
            raw.send(publish("p0", "first@conference.localhost", "<conference xmlns='urn:xmpp:bookmarks:1'/>"));
            raw.await("id=\"p0\"");
            raw.send("<iq type='set' id='sub'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                    + "<subscribe node='urn:xmpp:bookmarks:1' jid='alice@localhost/raw'/></pubsub></iq>");
            raw.await("id=\"sub\"");
            raw.clear();
            XMPPTCPConnection alice = server.login("alice");
            EntityBareJid room = JidCreate.entityBareFrom(ROOM);
            BookmarkManager.getBookmarkManager(alice).addBookmarkedConference("Council", room, true,
                    Resourcepart.from("Al"), "titania");
            String event = raw.await("<item id=\"" + ROOM + "\"");
            assertTrue(event.contains("<item id=\"" + ROOM + "\"") && event.contains("urn:xmpp:bookmarks:1"), event);
            raw.clear();

            raw.send(ITEMS);
            String items = raw.await("</iq>");
            assertTrue(items.contains("<item id=\"" + ROOM + "\">"), items);
            assertTrue(items.contains("<conference xmlns=\"urn:xmpp:bookmarks:1\" name=\"Council\" autojoin=\"true\">"
                    + "<nick>Al</nick><password>titania</password></conference>"), items);
            raw.clear();

            // Removing it from private XML retracts the item (XEP-0402 §3.5's notification follows).
            BookmarkManager.getBookmarkManager(alice).removeBookmarkedConference(room);
            String retract = raw.await("<retract id=\"" + ROOM + "\"");
            assertTrue(retract.contains("urn:xmpp:bookmarks:1"), retract);
            raw.clear();
            raw.send(ITEMS);
            String left = raw.await("</iq>");
            assertFalse(left.contains(ROOM), left);
            assertTrue(left.contains("first@conference.localhost"), "the bookmark added natively stays: " + left);
            alice.disconnect();
        }
    }

    @Test
    void xep0402_nativePublishAndRetractShowInPrivateXmlWithUrlsKept() throws Exception {
        XMPPTCPConnection bob = server.login("bob");
        BookmarkManager.getBookmarkManager(bob).addBookmarkedURL("https://example.org/", "Example", false);
        bob.disconnect();
        try (RawClient raw = RawClient.loggedIn(server, "bob")) {
            raw.send(publish("p1", "tea@conference.localhost",
                    "<conference xmlns='urn:xmpp:bookmarks:1' name='Tea' autojoin='true'><nick>Bobby</nick>"
                            + "<extensions><state xmlns='urn:example:client'/></extensions></conference>"));
            String reply = raw.await("id=\"p1\"");
            assertTrue(reply.contains("type=\"result\""), reply);
            raw.clear();

            List<BookmarkedConference> seen = legacyBookmarks("bob");
            assertEquals(1, seen.size(), seen.toString());
            BookmarkedConference tea = seen.get(0);
            assertEquals("tea@conference.localhost", tea.getJid().toString());
            assertEquals("Tea", tea.getName());
            assertTrue(tea.isAutoJoin(), "autojoin follows the user to the private-XML client");
            assertEquals("Bobby", tea.getNickname().toString());
            XMPPTCPConnection again = server.login("bob");
            assertEquals(1, BookmarkManager.getBookmarkManager(again).getBookmarkedURLs().size(),
                    "URLs have no XEP-0402 form and must survive the rewrite");
            // The private-XML client edits the bookmark: its XEP-0402 extensions stay on the item.
            BookmarkManager.getBookmarkManager(again).addBookmarkedConference("Tea time",
                    JidCreate.entityBareFrom("tea@conference.localhost"), false, Resourcepart.from("Bobby"), null);
            again.disconnect();
            raw.send(ITEMS);
            String items = raw.await("</iq>");
            assertTrue(items.contains("name=\"Tea time\"") && !items.contains("autojoin")
                    && items.contains("<extensions><state xmlns=\"urn:example:client\"></state></extensions>"), items);
            raw.clear();

            raw.send("<iq type='set' id='r1'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                    + "<retract node='urn:xmpp:bookmarks:1' notify='true'><item id='tea@conference.localhost'/></retract>"
                    + "</pubsub></iq>");
            raw.await("id=\"r1\"");
            assertTrue(legacyBookmarks("bob").isEmpty());
        }
    }

    @Test
    void xep0402_3_itemsThatAreNotBookmarksAreRefusedWithInvalidPayload() throws Exception {
        try (RawClient raw = RawClient.loggedIn(server, "carol")) {
            raw.send(publish("bad1", "not a jid", "<conference xmlns='urn:xmpp:bookmarks:1'/>"));
            String reply = raw.await("</iq>");
            assertTrue(reply.contains("type=\"error\"") || reply.contains("type='error'"), reply);
            assertTrue(reply.contains("<bad-request") && reply.contains("<invalid-payload"), reply);
            raw.clear();
            raw.send(publish("bad2", ROOM, "<storage xmlns='storage:bookmarks'/>"));
            reply = raw.await("</iq>");
            assertTrue(reply.contains("<bad-request") && reply.contains("<invalid-payload"), reply);
        }
        assertTrue(legacyBookmarks("carol").isEmpty(), "nothing refused reaches private XML");
    }

    @Test
    void xep0402_5_3_theAccountAdvertisesCompat() throws Exception {
        XMPPTCPConnection dave = server.login("dave");
        DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(dave)
                .discoverInfo(JidCreate.bareFrom("dave@localhost"));
        assertTrue(info.containsFeature("urn:xmpp:bookmarks:1#compat"), info.toXML().toString());
        dave.disconnect();
    }

    @Test
    void xep0402_aServerCreatedNodeIsWhitelistAndKeepsManyItems() throws Exception {
        XMPPTCPConnection erin = server.login("erin");
        BookmarkManager bookmarks = BookmarkManager.getBookmarkManager(erin);
        for (int i = 0; i < 3; i++) {
            bookmarks.addBookmarkedConference("Room " + i, JidCreate.entityBareFrom("r" + i + "@conference.localhost"),
                    false, null, null);
        }
        erin.disconnect();
        try (RawClient raw = RawClient.loggedIn(server, "erin")) {
            raw.send(ITEMS);
            String items = raw.await("</iq>");
            for (int i = 0; i < 3; i++) {
                assertTrue(items.contains("<item id=\"r" + i + "@conference.localhost\">"), items);
            }
            raw.clear();
            raw.send("<iq type='get' id='cfg'><pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
                    + "<configure node='urn:xmpp:bookmarks:1'/></pubsub></iq>");
            String config = raw.await("</iq>");
            assertTrue(config.contains("<field var=\"pubsub#access_model\"") && config.matches(
                    "(?s).*pubsub#access_model.*?<value>whitelist</value>.*"), config);
        }
    }

    // ------------------------------------------------------------ XEP-0411: the storage:bookmarks PEP node

    private static String publishLegacy(String id, String storage) {
        return publishPrivately(id, "storage:bookmarks", "current", storage, "");
    }

    private static final String LEGACY_ITEMS = "<iq type='get' id='litems'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
            + "<items node='storage:bookmarks'/></pubsub></iq>";

    @Test
    void xep0411_2_theAccountAdvertisesBookmarksConversion() throws Exception {
        XMPPTCPConnection dave = server.login("dave");
        DiscoverInfo info = ServiceDiscoveryManager.getInstanceFor(dave)
                .discoverInfo(JidCreate.bareFrom("dave@localhost"));
        assertTrue(info.containsFeature("urn:xmpp:bookmarks-conversion:0"), info.toXML().toString());
        assertTrue(info.containsFeature("urn:xmpp:bookmarks:1#compat-pep"), "XEP-0402 §5.3: " + info.toXML());
        dave.disconnect();
    }

    @Test
    void xep0411_3_aPrivateXmlWriteNotifiesTheSubscribersOfTheStorageBookmarksNode() throws Exception {
        try (RawClient raw = RawClient.loggedIn(server, "frank")) {
            // A PEP-only client (Conversations before XEP-0402) made the node and subscribed to it.
            raw.send(publishLegacy("l0", "<storage xmlns='storage:bookmarks'/>"));
            assertTrue(raw.await("id=\"l0\"").contains("type=\"result\""));
            raw.send("<iq type='set' id='sub'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                    + "<subscribe node='storage:bookmarks' jid='frank@localhost/raw'/></pubsub></iq>");
            raw.await("id=\"sub\"");
            raw.clear();

            XMPPTCPConnection legacyClient = server.login("frank");
            BookmarkManager.getBookmarkManager(legacyClient).addBookmarkedConference("Council",
                    JidCreate.entityBareFrom(ROOM), true, Resourcepart.from("Fr"), null);
            legacyClient.disconnect();
            String event = raw.await("</message>");
            assertTrue(event.contains("<items node=\"storage:bookmarks\">") && event.contains("<item id=\"current\">")
                    && event.contains("jid=\"" + ROOM + "\"") && event.contains("<nick>Fr</nick>"), event);
            // One write, one notification: the mirroring (private XML -> both PEP nodes) neither loops back nor
            // publishes twice. The notifications of a write are sent before it is answered, so by this ping's
            // answer every one of them has arrived.
            raw.send("<iq type='get' id='after' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
            raw.await("id=\"after\"");
            assertEquals(1, raw.received().split("<items node=\"storage:bookmarks\">", -1).length - 1,
                    raw.received());
            raw.clear();

            raw.send(LEGACY_ITEMS);
            String items = raw.await("</iq>");
            assertTrue(items.contains("autojoin=\"true\"") && items.contains(ROOM), items);
            raw.clear();
            raw.send("<iq type='get' id='cfg'><pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>"
                    + "<configure node='storage:bookmarks'/></pubsub></iq>");
            String config = raw.await("</iq>");
            assertTrue(config.matches("(?s).*pubsub#access_model.*?<value>whitelist</value>.*"),
                    "§5: only the account may read its bookmarks: " + config);
        }
    }

    @Test
    void xep0411_3_aPepPublishOfStorageBookmarksReachesPrivateXmlAndNativeBookmarks() throws Exception {
        XMPPTCPConnection legacy = server.login("grace");
        BookmarkManager.getBookmarkManager(legacy).addBookmarkedURL("https://example.org/", "Example", false);
        legacy.disconnect();
        try (RawClient raw = RawClient.loggedIn(server, "grace")) {
            raw.send(publishLegacy("l1", "<storage xmlns='storage:bookmarks'>"
                    + "<conference jid='garden@conference.localhost' name='Garden' autojoin='true'><nick>G</nick></conference>"
                    + "<url name='Example' url='https://example.org/'/></storage>"));
            assertTrue(raw.await("id=\"l1\"").contains("type=\"result\""));
            raw.clear();

            List<BookmarkedConference> seen = legacyBookmarks("grace");
            assertEquals(1, seen.size(), seen.toString());
            assertEquals("garden@conference.localhost", seen.get(0).getJid().toString());
            assertTrue(seen.get(0).isAutoJoin());
            raw.send(ITEMS);
            String native1 = raw.await("</iq>");
            assertTrue(native1.contains("<item id=\"garden@conference.localhost\">")
                    && native1.contains("name=\"Garden\" autojoin=\"true\""), native1);
            raw.clear();

            // Emptying the node (retract) removes the rooms everywhere; the URL in private XML stays.
            raw.send("<iq type='set' id='r1'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                    + "<retract node='storage:bookmarks'><item id='current'/></retract></pubsub></iq>");
            raw.await("id=\"r1\"");
            raw.clear();
            assertTrue(legacyBookmarks("grace").isEmpty());
            XMPPTCPConnection again = server.login("grace");
            assertEquals(1, BookmarkManager.getBookmarkManager(again).getBookmarkedURLs().size());
            again.disconnect();
            raw.send(ITEMS);
            String native2 = raw.await("</iq>");
            assertFalse(native2.contains("garden@conference.localhost"), native2);
        }
    }

    @Test
    void xep0411_aNativePublishRewritesTheStorageBookmarksItemAndBadPayloadsAreRefused() throws Exception {
        try (RawClient raw = RawClient.loggedIn(server, "heidi")) {
            raw.send(publish("p1", "hall@conference.localhost",
                    "<conference xmlns='urn:xmpp:bookmarks:1' name='Hall' autojoin='true'/>"));
            raw.await("id=\"p1\"");
            raw.clear();
            raw.send(LEGACY_ITEMS);
            String items = raw.await("</iq>");
            assertTrue(items.contains("<item id=\"current\"><storage xmlns=\"storage:bookmarks\"><conference ")
                    && items.contains("jid=\"hall@conference.localhost\"") && items.contains("autojoin=\"true\""), items);
            raw.clear();

            raw.send(publishLegacy("bad", "<conference xmlns='urn:xmpp:bookmarks:1'/>"));
            String reply = raw.await("</iq>");
            assertTrue(reply.contains("<bad-request") && reply.contains("<invalid-payload"), reply);
        }
        assertEquals(List.of("hall@conference.localhost"),
                legacyBookmarks("heidi").stream().map(b -> b.getJid().toString()).toList(),
                "the refused item changed nothing");
    }
}
