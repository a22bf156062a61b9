package org.parley.client.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.jivesoftware.smackx.bookmarks.BookmarkManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.testing.TestServer;

/**
 * What the account keeps on the server for all its clients. Autojoin at login from the account's bookmarks (XEP-0402 where the server has it, XEP-0048 private storage
 * otherwise), against a real Parley: the first login bookmarks the lobby for every client of the account, and a
 * room another client bookmarked with autojoin is entered too.
 */
class BookmarksTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob");

    private static final String LOBBY = "lobby@conference.localhost";

    @Test
    void firstLoginBookmarksTheLobbyAndLaterLoginsFollowTheAccountsBookmarks() throws Exception {
        ParleyClient first = Clients.login(server, "alice");
        try {
            assertEquals(List.of(), first.bookmarks(), "a new account has no bookmarks");
            List<Bookmark> autojoin = first.autojoinRooms("lobby");
            assertEquals(List.of(LOBBY), autojoin.stream().map(Bookmark::jid).toList(), "the lobby on the first login");
            Bookmark stored = first.bookmarks().get(0);
            assertEquals(LOBBY, stored.jid());
            assertTrue(stored.autojoin(), "bookmarked with autojoin, so the web page enters it too");
        } finally {
            first.close();
        }

        // Another client of the account (here plain Smack, XEP-0048) bookmarks a second room: with autojoin it is
        // entered at the next login, and the lobby is not added again.
        ParleyClient other = Clients.login(server, "alice");
        try {
            BookmarkManager.getBookmarkManager(other.smackConnection()).addBookmarkedConference("Team",
                    JidCreate.entityBareFrom("team@conference.localhost"), true, Resourcepart.from("ally"), null);
            BookmarkManager.getBookmarkManager(other.smackConnection()).addBookmarkedConference("Quiet",
                    JidCreate.entityBareFrom("quiet@conference.localhost"), false, null, null);
        } finally {
            other.close();
        }
        ParleyClient again = Clients.login(server, "alice");
        try {
            List<Bookmark> autojoin = again.autojoinRooms("lobby");
            assertEquals(List.of(LOBBY, "team@conference.localhost"),
                    autojoin.stream().map(Bookmark::jid).sorted().toList(), "autojoin rooms only, the lobby once");
            Bookmark team = autojoin.stream().filter(b -> b.jid().startsWith("team@")).findFirst().orElseThrow();
            assertEquals("ally", team.nick());
            assertEquals("Team", team.displayName());
            assertEquals(3, again.bookmarks().size());
            Room entered = again.join(team.jid(), team.nick());
            assertEquals("ally", entered.nickname());
        } finally {
            again.close();
        }
    }

    /** XEP-0084: a published avatar is the account's current one; nothing else is accepted as one. */
    @Test
    void anAvatarIsPublishedOverPep() throws Exception {
        ParleyClient bob = Clients.login(server, "bob");
        try {
            assertNull(bob.avatarId("bob@localhost"), "none yet");
            java.awt.image.BufferedImage picture = new java.awt.image.BufferedImage(96, 96,
                    java.awt.image.BufferedImage.TYPE_INT_ARGB);
            java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(picture, "png", png);
            String id = bob.setAvatar(png.toByteArray(), 96, 96);
            assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                    .digest(png.toByteArray())), id, "the id is the SHA-1 of the bytes (XEP-0084 §4.2)");
            assertEquals(id, bob.avatarId("bob@localhost"));
            org.junit.jupiter.api.Assertions.assertArrayEquals(png.toByteArray(), bob.avatar("bob@localhost"),
                    "the picture comes back from the data node (what the desktop shows next to a contact)");
            assertNull(bob.avatar("alice@localhost"), "someone without an avatar has none");
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> bob.setAvatar(new byte[64 * 1024 + 1], 96, 96), "too large");
        } finally {
            bob.close();
        }
    }

    /** XEP-0402 §3: the item parser reads name, autojoin, nick and password, and skips what is not a conference. */
    @Test
    void parsesXep0402ConferenceItems() {
        Bookmark b = Bookmarks.parse("play@conference.example.org", "<conference xmlns='urn:xmpp:bookmarks:1'"
                + " name='The Play&apos;s the Thing' autojoin='true'><nick>JC</nick><password>s3</password></conference>");
        assertEquals(new Bookmark("play@conference.example.org", "The Play's the Thing", true, "JC", "s3"), b);
        Bookmark minimal = Bookmarks.parse("x@c.example.org", "<conference xmlns='urn:xmpp:bookmarks:1'/>");
        assertEquals(new Bookmark("x@c.example.org", null, false, null, null), minimal);
        assertNull(Bookmarks.parse("x@c.example.org", "<conference xmlns='storage:bookmarks'/>"), "wrong namespace");
        assertNull(Bookmarks.parse("x@c.example.org", "<!DOCTYPE x [<!ENTITY e 'boom'>]><conference"
                + " xmlns='urn:xmpp:bookmarks:1' name='&e;'/>"), "no DTDs");
        assertNull(Bookmarks.parse("x@c.example.org", "<conference"), "malformed");
    }
}
