package org.parley.client.core;

import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import org.jivesoftware.smack.XMPPConnection;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.IQ;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.util.StringUtils;
import org.jivesoftware.smackx.disco.ServiceDiscoveryManager;
import org.jivesoftware.smackx.pubsub.ItemsExtension;
import org.jivesoftware.smackx.pubsub.PayloadItem;
import org.jivesoftware.smackx.pubsub.PubSubElementType;
import org.jivesoftware.smackx.pubsub.packet.PubSub;
import org.jxmpp.jid.BareJid;

/**
 * User avatars (XEP-0084) over PEP: the picture in {@code urn:xmpp:avatar:data}, its description in
 * {@code urn:xmpp:avatar:metadata} (which is what contacts are notified of). Smack 4.5 has no manager for it, so
 * the two publishes are written out here (the XEP's §4.1 and §4.2 examples).
 */
final class Avatars {

    static final String DATA = "urn:xmpp:avatar:data";
    static final String METADATA = "urn:xmpp:avatar:metadata";
    private static final String PUBSUB = "http://jabber.org/protocol/pubsub";
    /** XEP-0084 §7: keep it small; clients scale anyway. */
    static final int MAX_BYTES = 64 * 1024;

    private Avatars() {
    }

    /** Publishes a PNG as the account's avatar; returns its id (the SHA-1 of the bytes, hex). */
    static String publish(XMPPConnection connection, byte[] png, int width, int height) throws Exception {
        if (png.length == 0 || png.length > MAX_BYTES) {
            throw new IllegalArgumentException("an avatar is 1 byte to " + MAX_BYTES / 1024 + " KiB, this is "
                    + png.length + " bytes");
        }
        BareJid account = connection.getUser().asBareJid();
        if (!ServiceDiscoveryManager.getInstanceFor(connection).discoverInfo(account).hasIdentity("pubsub", "pep")) {
            throw new UnsupportedOperationException("the server does not offer PEP (XEP-0163), needed for avatars");
        }
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(png));
        send(connection, "<publish node='" + DATA + "'><item id='" + id + "'><data xmlns='" + DATA + "'>"
                + Base64.getEncoder().encodeToString(png) + "</data></item></publish>");
        send(connection, "<publish node='" + METADATA + "'><item id='" + id + "'><metadata xmlns='" + METADATA
                + "'><info bytes='" + png.length + "' id='" + id + "' height='" + height + "' width='" + width
                + "' type='image/png'/></metadata></item></publish>");
        return id;
    }

    /** The id of {@code owner}'s current avatar (the metadata's last item), or null when none or not visible. */
    static String currentId(XMPPConnection connection, BareJid owner) throws Exception {
        for (Object item : items(connection, owner, "<items node='" + METADATA + "' max_items='1'/>")) {
            if (item instanceof PayloadItem<?> payload && payload.getId() != null) {
                return payload.getId();
            }
        }
        return null;
    }

    /**
     * The picture of {@code owner}'s avatar {@code id} (the data node's item, §4.2), or null when it is gone or
     * not visible. Smack keeps an unknown payload as its XML text; the base64 is the text of {@code <data/>}.
     */
    static byte[] picture(XMPPConnection connection, BareJid owner, String id) throws Exception {
        // the id is the contact's (their metadata's item id): escaped, so it cannot add XML to our request
        String inner = "<items node='" + DATA + "'><item id='" + StringUtils.escapeForXmlAttributeApos(id) + "'/></items>";
        for (Object item : items(connection, owner, inner)) {
            if (item instanceof PayloadItem<?> payload && id.equals(payload.getId()) && payload.getPayload() != null) {
                String xml = payload.getPayload().toXML().toString();
                int start = xml.indexOf('>', xml.indexOf("<data")) + 1;
                int end = xml.lastIndexOf("</data>");
                if (start <= 0 || end < start) {
                    return null;
                }
                try {
                    byte[] bytes = Base64.getMimeDecoder().decode(xml.substring(start, end).strip());
                    return bytes.length == 0 || bytes.length > 4 * MAX_BYTES ? null : bytes;
                } catch (IllegalArgumentException notBase64) {
                    return null;
                }
            }
        }
        return null;
    }

    /**
     * The items a pubsub get ({@code inner}) to {@code owner} returns; none when the node is missing or not
     * visible to us (item-not-found, forbidden: no avatar to show, not a failure).
     */
    private static List<?> items(XMPPConnection connection, BareJid owner, String inner) throws Exception {
        RawIq get = new RawIq("pubsub", PUBSUB, inner);
        get.setType(IQ.Type.get);
        get.setTo(owner);
        try {
            IQ answer = connection.sendIqRequestAndWaitForResponse(get);
            return answer instanceof PubSub pubsub && pubsub.getExtension(PubSubElementType.ITEMS) instanceof ItemsExtension items
                    ? items.getItems() : List.of();
        } catch (XMPPException.XMPPErrorException e) {
            StanzaError.Condition condition = e.getStanzaError().getCondition();
            if (condition == StanzaError.Condition.item_not_found || condition == StanzaError.Condition.forbidden) {
                return List.of();
            }
            throw e;
        }
    }

    private static void send(XMPPConnection connection, String inner) throws Exception {
        RawIq set = new RawIq("pubsub", PUBSUB, inner);
        set.setType(IQ.Type.set);
        connection.sendIqRequestAndWaitForResponse(set);
    }
}
