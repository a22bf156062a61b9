package org.parley.server.retract;

import java.time.Instant;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.parley.server.parser.StanzaParsing;

/**
 * Message Retraction (XEP-0424) and Moderation (XEP-0425) as the server sees them: which message a
 * retraction names, and the tombstone an archive keeps in place of a retracted message, so the body is never
 * served again while clients can still match the retraction to it.
 *
 * <p>Both wire forms are read: {@code <retract id='…' xmlns='urn:xmpp:message-retract:1'/>} (current, sent by
 * Conversations, Gajim, Converse.js) and the older {@code <apply-to id='…' xmlns='urn:xmpp:fasten:0'><retract
 * xmlns='urn:xmpp:message-retract:0'/></apply-to>} (Smack 4.5).
 */
public final class Retraction {

    public static final String NS = "urn:xmpp:message-retract:1";
    public static final String NS_0 = "urn:xmpp:message-retract:0";
    public static final String TOMBSTONE_FEATURE = NS + "#tombstone";
    public static final String MODERATE_NS = "urn:xmpp:message-moderate:1";
    static final String FASTEN = "urn:xmpp:fasten:0";
    static final String SID = "urn:xmpp:sid:0";
    static final String OCCUPANT_ID = "urn:xmpp:occupant-id:0";

    private Retraction() {
    }

    /** The id of the message this one retracts, or null when it is no retraction. */
    public static String retractedId(Stanza message) {
        XMLElement retract = StanzaParsing.child(message, "retract", NS);
        if (retract != null) {
            String id = retract.getAttributeValue("id");
            return id == null || id.isEmpty() ? null : id;
        }
        XMLElement applyTo = StanzaParsing.child(message, "apply-to", FASTEN);
        if (applyTo != null && StanzaParsing.child(applyTo, "retract", NS_0) != null) {
            String id = applyTo.getAttributeValue("id");
            return id == null || id.isEmpty() ? null : id;
        }
        return null;
    }

    /** Whether {@code message} is the one {@code id} names: its origin-id (XEP-0359) or, lacking one, its id. */
    public static boolean isNamedBy(Stanza message, String id) {
        XMLElement origin = StanzaParsing.child(message, "origin-id", SID);
        if (origin != null) {
            return id.equals(origin.getAttributeValue("id"));
        }
        return id.equals(message.getAttributeValue("id"));
    }

    /** Whether the archived stanza is already a tombstone. */
    public static boolean isTombstone(Stanza message) {
        return StanzaParsing.child(message, "retracted", NS) != null;
    }

    /**
     * The tombstone of a retracted message (XEP-0424 §6): its addressing and ids (origin-id, stanza-id,
     * occupant-id) stay so clients can match it; the body and every other payload go; a {@code <retracted/>}
     * with the time, and for a moderation the {@code <moderated/>} and reason, take their place.
     *
     * @param moderatedBy the moderator's occupant JID (XEP-0425), or null for a retraction by the author
     */
    public static Stanza tombstone(Stanza original, Instant stamp, String moderatedBy, String reason) {
        StanzaBuilder b = new StanzaBuilder(original.getName(), original.getNamespaceURI(), original.getNamespacePrefix());
        for (Attribute a : original.getAttributes()) {
            b.addAttribute(a);
        }
        b.startInnerElement("retracted", NS).addAttribute("stamp", stamp.toString());
        if (moderatedBy != null) {
            b.startInnerElement("moderated", MODERATE_NS).addAttribute("by", moderatedBy).endInnerElement();
        }
        if (reason != null && !reason.isBlank()) {
            b.startInnerElement("reason", NS).addText(reason).endInnerElement();
        }
        b.endInnerElement();
        for (XMLElement e : original.getInnerElements()) {
            boolean keep = SID.equals(e.getNamespaceURI()) && ("origin-id".equals(e.getName()) || "stanza-id".equals(e.getName()))
                    || OCCUPANT_ID.equals(e.getNamespaceURI());
            if (keep) {
                b.addPreparedElement(e);
            }
        }
        return b.build();
    }

    /**
     * What a room broadcasts for a moderation (XEP-0425 §4): a groupchat message from the room naming the
     * retracted message's stanza-id, the moderator and the reason.
     */
    public static Stanza moderationNotice(String room, String id, String moderatedBy, String reason) {
        StanzaBuilder b = new StanzaBuilder("message", "jabber:client").addAttribute("from", room)
                .addAttribute("type", "groupchat").addAttribute("id", java.util.UUID.randomUUID().toString());
        b.startInnerElement("retract", NS).addAttribute("id", id)
                .startInnerElement("moderated", MODERATE_NS).addAttribute("by", moderatedBy).endInnerElement();
        if (reason != null && !reason.isBlank()) {
            b.startInnerElement("reason", NS).addText(reason).endInnerElement();
        }
        b.endInnerElement();
        return b.build();
    }
}
