package org.parley.server.avatar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import javax.imageio.ImageIO;

import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.vcardtemp.VCardManager;
import org.jivesoftware.smackx.vcardtemp.packet.VCard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.parley.server.config.ServerSettings;
import org.parley.server.storage.RosterEntry;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Avatars: User Avatar on PEP (XEP-0084), vCard-based avatars (XEP-0153) and the server's conversion
 * between the two (XEP-0398), with Smack's VCardManager on the vCard side and raw PEP transcripts (Smack 4.5
 * has no XEP-0084 client).
 */
class AvatarsTest {

    /** A small cap, so that a noisy 64x64 PNG is too large. */
    private static final int CAP = 4096;

    @RegisterExtension
    static final TestServer server = TestServer.withSettings(s -> {
        ServerSettings.Limits l = s.limits();
        return s.withLimits(new ServerSettings.Limits(l.stanzaBytes(), l.preAuthStanzaBytes(), l.idleTimeout(),
                l.keepaliveInterval(), l.offlinePerUser(), l.scramIterations(), CAP));
    }, "alice", "bob", "carol", "dave", "erin", "frank");

    private static byte[] png(int size, boolean noisy) throws Exception {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(42);
        for (int x = 0; x < size; x++) {
            for (int y = 0; y < size; y++) {
                image.setRGB(x, y, noisy ? random.nextInt() : 0x3366cc);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static String sha1(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
    }

    private static String publish(String id, String node, String itemId, String payload) {
        return "<iq type='set' id='" + id + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                + "<publish node='" + node + "'><item id='" + itemId + "'>" + payload + "</item></publish></pubsub></iq>";
    }

    private static String items(String id, String node) {
        return "<iq type='get' id='" + id + "'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                + "<items node='" + node + "'/></pubsub></iq>";
    }

    private static void friends(String a, String b) {
        var rosters = server.server().storage().rosters();
        rosters.put(a, new RosterEntry(b + "@localhost", null, "both", false, false, false, List.of()));
        rosters.put(b, new RosterEntry(a + "@localhost", null, "both", false, false, false, List.of()));
    }

    @Test
    void xep0398_3_2_aVcardPhotoBecomesThePepAvatar() throws Exception {
        byte[] image = png(16, false);
        String hash = sha1(image);
        XMPPTCPConnection alice = server.login("alice");
        VCard vcard = new VCard();
        vcard.setNickName("Al");
        vcard.setAvatar(image, "image/png");
        VCardManager.getInstanceFor(alice).saveVCard(vcard);
        alice.disconnect();
        try (RawClient raw = RawClient.loggedIn(server, "alice")) {
            raw.send(items("m", "urn:xmpp:avatar:metadata"));
            String metadata = raw.await("id=\"m\"");
            raw.await("</iq>");
            assertTrue(raw.received().contains("<item id=\"" + hash + "\"><metadata xmlns=\"urn:xmpp:avatar:metadata\">"
                    + "<info id=\"" + hash + "\" bytes=\"" + image.length + "\" type=\"image/png\" width=\"16\" height=\"16\">"),
                    metadata + raw.received());
            raw.clear();
            raw.send(items("d", "urn:xmpp:avatar:data"));
            raw.await("</iq>");
            assertTrue(raw.received().contains("<item id=\"" + hash + "\"><data xmlns=\"urn:xmpp:avatar:data\">"
                    + Base64.getEncoder().encodeToString(image) + "</data>"), raw.received());
        }
    }

    @Test
    void xep0398_3_1_aPepAvatarBecomesTheVcardPhotoAndAnEmptyMetadataRemovesIt() throws Exception {
        byte[] image = png(24, false);
        String hash = sha1(image);
        try (RawClient raw = RawClient.loggedIn(server, "bob")) {
            raw.send(publish("d", "urn:xmpp:avatar:data", hash,
                    "<data xmlns='urn:xmpp:avatar:data'>" + Base64.getEncoder().encodeToString(image) + "</data>"));
            assertTrue(raw.await("id=\"d\"").contains("type=\"result\""), raw.received());
            raw.clear();
            raw.send(publish("m", "urn:xmpp:avatar:metadata", hash, "<metadata xmlns='urn:xmpp:avatar:metadata'>"
                    + "<info id='" + hash + "' bytes='" + image.length + "' type='image/png' width='24' height='24'/>"
                    + "</metadata>"));
            assertTrue(raw.await("id=\"m\"").contains("type=\"result\""), raw.received());
            raw.clear();

            XMPPTCPConnection carol = server.login("carol");
            VCard seen = VCardManager.getInstanceFor(carol).loadVCard(JidCreate.entityBareFrom("bob@localhost"));
            assertArrayEquals(image, seen.getAvatar(), "a XEP-0153 client sees the PEP avatar");
            assertEquals("image/png", seen.getAvatarMimeType());
            assertEquals(hash, seen.getAvatarHash());

            // XEP-0084 §4.5: an empty metadata disables the avatar.
            raw.send(publish("off", "urn:xmpp:avatar:metadata", "current", "<metadata xmlns='urn:xmpp:avatar:metadata'/>"));
            raw.await("id=\"off\"");
            assertNull(VCardManager.getInstanceFor(carol).loadVCard(JidCreate.entityBareFrom("bob@localhost")).getAvatar());
            carol.disconnect();
        }
    }

    @Test
    void xep0398_4_presenceCarriesTheAvatarHashUnlessTheClientSentAnEmptyPhoto() throws Exception {
        friends("dave", "erin");
        byte[] image = png(8, false);
        String hash = sha1(image);
        XMPPTCPConnection dave = server.login("dave");
        VCard vcard = new VCard();
        vcard.setAvatar(image, "image/png");
        VCardManager.getInstanceFor(dave).saveVCard(vcard);
        dave.disconnect();
        try (RawClient erin = RawClient.loggedIn(server, "erin"); RawClient daveRaw = RawClient.loggedIn(server, "dave")) {
            erin.send("<presence/>");
            erin.await("</presence>"); // her own, reflected (RFC 6121 §4.2.2)
            erin.clear();
            daveRaw.send("<presence><status>here</status></presence>");
            erin.await("here");
            String presence = erin.await("</presence>");
            assertTrue(presence.contains("from=\"dave@localhost/raw\"") && presence.contains("<status>here</status>")
                    && presence.contains("<x xmlns=\"vcard-temp:x:update\"><photo>" + hash + "</photo></x>"), presence);
            erin.clear();
            // A client that has not loaded its vCard yet says so with an empty photo (XEP-0153 §4.2).
            daveRaw.send("<presence><status>loading</status><x xmlns='vcard-temp:x:update'><photo/></x></presence>");
            erin.await("loading");
            presence = erin.await("</presence>");
            assertTrue(presence.contains("loading") && !presence.contains(hash), presence);
            erin.clear();
            // A stale hash is replaced by the stored avatar's.
            daveRaw.send("<presence><status>stale</status><x xmlns='vcard-temp:x:update'><photo>0000</photo></x></presence>");
            presence = erin.await("stale");
            erin.await("</presence>");
            assertTrue(erin.received().contains("<photo>" + hash + "</photo>") && !erin.received().contains("0000"),
                    erin.received());
        }
    }

    @Test
    void xep0084_badAvatarsGetTheXep0060ErrorsAndAreNotStored() throws Exception {
        byte[] big = png(64, true);
        assertTrue(big.length > CAP, "the test image must exceed the cap: " + big.length);
        byte[] html = "<html><script>alert(1)</script></html>".getBytes();
        byte[] good = png(8, false);
        try (RawClient raw = RawClient.loggedIn(server, "frank")) {
            raw.send(publish("big", "urn:xmpp:avatar:data", sha1(big),
                    "<data xmlns='urn:xmpp:avatar:data'>" + Base64.getEncoder().encodeToString(big) + "</data>"));
            String reply = raw.await("</iq>");
            assertTrue(reply.contains("type=\"error\"") && reply.contains("<not-acceptable")
                    && reply.contains("<payload-too-big xmlns=\"http://jabber.org/protocol/pubsub#errors\""), reply);
            raw.clear();
            raw.send(publish("html", "urn:xmpp:avatar:data", sha1(html),
                    "<data xmlns='urn:xmpp:avatar:data'>" + Base64.getEncoder().encodeToString(html) + "</data>"));
            reply = raw.await("</iq>");
            assertTrue(reply.contains("<bad-request") && reply.contains("<invalid-payload"), reply);
            raw.clear();
            raw.send(publish("id", "urn:xmpp:avatar:data", "not-the-hash",
                    "<data xmlns='urn:xmpp:avatar:data'>" + Base64.getEncoder().encodeToString(good) + "</data>"));
            reply = raw.await("</iq>");
            assertTrue(reply.contains("<bad-request") && reply.contains("<invalid-payload"), reply);
            raw.clear();
            raw.send(items("none", "urn:xmpp:avatar:data"));
            reply = raw.await("</iq>");
            assertFalse(reply.contains("<item "), "nothing refused was stored: " + reply);
        }
        XMPPTCPConnection frank = server.login("frank");
        for (byte[] bad : List.of(big, html)) {
            VCard vcard = new VCard();
            vcard.setAvatar(bad, "image/png");
            XMPPException.XMPPErrorException refused = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> VCardManager.getInstanceFor(frank).saveVCard(vcard));
            assertEquals(StanzaError.Condition.not_acceptable, refused.getStanzaError().getCondition());
        }
        assertNull(VCardManager.getInstanceFor(frank).loadVCard().getAvatar());
        assertTrue(ServiceDiscoveryManager.getInstanceFor(frank).discoverInfo(JidCreate.bareFrom("frank@localhost"))
                .containsFeature("urn:xmpp:pep-vcard-conversion:0"), "XEP-0398 §2");
        assertFalse(frank.isAnonymous());
        frank.disconnect();
    }

    @Test
    void xep0486_ownersSetARoomAvatarThatAnyoneReadsAndOccupantsAreTold() throws Exception {
        String room = "pictures@conference.localhost";
        byte[] image = png(12, false);
        String hash = sha1(image);
        String photo = "<vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE><BINVAL>"
                + Base64.getEncoder().encodeToString(image) + "</BINVAL></PHOTO></vCard>";
        try (RawClient owner = RawClient.loggedIn(server, "carol"); RawClient guest = RawClient.loggedIn(server, "erin");
             RawClient outsider = RawClient.loggedIn(server, "bob")) {
            owner.send("<presence to='" + room + "/carol'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            owner.await("code=\"201\"");
            owner.send("<iq type='set' id='cfg' to='" + room + "'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                    + "<x xmlns='jabber:x:data' type='submit'/></query></iq>");
            owner.await("id=\"cfg\"");
            guest.send("<presence to='" + room + "/erin'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
            guest.await("code=\"110\"");
            guest.clear();
            owner.clear();

            guest.send("<iq type='set' id='g1' to='" + room + "'>" + photo + "</iq>");
            String refused = guest.await("</iq>");
            assertTrue(refused.contains("type=\"error\"") && refused.contains("<forbidden"), "only owners: " + refused);
            guest.clear();
            owner.send("<iq type='set' id='bad' to='" + room + "'><vCard xmlns='vcard-temp'><PHOTO><TYPE>image/png</TYPE>"
                    + "<BINVAL>" + Base64.getEncoder().encodeToString("<svg onload='x'/>".getBytes()) + "</BINVAL></PHOTO></vCard></iq>");
            assertTrue(owner.await("</iq>").contains("<not-acceptable"), owner.received());
            owner.clear();

            owner.send("<iq type='set' id='o1' to='" + room + "'>" + photo + "</iq>");
            assertTrue(owner.await("id=\"o1\"").contains("type=\"result\""), owner.received());
            String told = guest.await("<photo>" + hash + "</photo>");
            assertTrue(told.contains("<presence") && told.contains("from=\"" + room + "\""), told);

            outsider.send("<iq type='get' id='v' to='" + room + "'><vCard xmlns='vcard-temp'/></iq>");
            String read = outsider.await("</iq>");
            assertTrue(read.contains("<BINVAL>" + Base64.getEncoder().encodeToString(image) + "</BINVAL>"), read);
            outsider.clear();
            outsider.send("<iq type='get' id='i' to='" + room + "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
            String info = outsider.await("</iq>");
            assertTrue(info.contains("var=\"vcard-temp\"") && info.contains("muc#roominfo_avatarhash")
                    && info.contains("<value>" + hash + "</value>"), info);
        }
    }
}
