package org.parley.server.muc;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.List;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.routing.StanzaErrors;

/** Namespaces and the stanzas a room sends (XEP-0045 §15), built on Vysper's stanza model. */
final class MucXml {

    static final String MUC = "http://jabber.org/protocol/muc";
    static final String MUC_USER = MUC + "#user";
    static final String MUC_ADMIN = MUC + "#admin";
    static final String MUC_OWNER = MUC + "#owner";
    static final String MUC_ROOMCONFIG = MUC + "#roomconfig";
    static final String MUC_ROOMINFO = MUC + "#roominfo";
    static final String MUC_REQUEST = MUC + "#request";
    static final String DISCO_INFO = "http://jabber.org/protocol/disco#info";
    static final String DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
    static final String DATA = "jabber:x:data";
    static final String DELAY = "urn:xmpp:delay";
    static final String PING = "urn:xmpp:ping";
    static final String STANZA_ID = "urn:xmpp:sid:0";
    /** XEP-0410 §4: the service answers an occupant's ping to its own occupant JID itself. */
    static final String SELF_PING_OPTIMIZATION = MUC + "#self-ping-optimization";
    static final String CLIENT = NamespaceURIs.JABBER_CLIENT;

    // Status codes, XEP-0045 §15.6.2
    static final int NON_ANONYMOUS = 100;
    static final int CONFIG_CHANGED = 104;
    static final int SELF = 110;
    static final int LOGGING_ON = 170;
    static final int LOGGING_OFF = 171;
    static final int NOW_NON_ANONYMOUS = 172;
    static final int NOW_SEMI_ANONYMOUS = 173;
    static final int CREATED = 201;
    static final int BANNED = 301;
    static final int NEW_NICK = 303;
    static final int KICKED = 307;
    static final int AFFILIATION_CHANGE = 321;
    static final int MEMBERS_ONLY = 322;
    static final int SHUTDOWN = 332;
    static final int TECHNICAL = 333;

    private MucXml() {
    }

    /**
     * The {@code <item/>} of a muc#user presence: who the occupant is and what it may do.
     *
     * @param jid    real JID, only when the recipient may see it
     * @param nick   new nickname (status 303), or null
     * @param actor  nickname of the moderator who acted, or null
     * @param reason why, or null
     */
    record Item(Affiliation affiliation, Role role, Entity jid, String nick, String actor, String reason) {
        static Item of(Affiliation affiliation, Role role, Entity jid) {
            return new Item(affiliation, role, jid, null, null, null);
        }

        void write(StanzaBuilder b) {
            b.startInnerElement("item", MUC_USER)
                    .addAttribute("affiliation", affiliation.xml())
                    .addAttribute("role", role.xml());
            if (jid != null) {
                b.addAttribute("jid", jid.getFullQualifiedName());
            }
            if (nick != null) {
                b.addAttribute("nick", nick);
            }
            if (actor != null) {
                b.startInnerElement("actor", MUC_USER).addAttribute("nick", actor).endInnerElement();
            }
            if (reason != null) {
                b.startInnerElement("reason", MUC_USER).addText(reason).endInnerElement();
            }
            b.endInnerElement();
        }
    }

    /**
     * Presence from an occupant JID: the occupant's own presence payload (show, status, caps…) plus the
     * muc#user extension.
     *
     * @param type    null for available, "unavailable"
     * @param extra   an element for inside {@code <x/>} after the statuses (e.g. {@code <destroy/>}), or null
     */
    static Stanza presence(Entity from, Entity to, String type, List<XMLElement> payload, Item item,
                           Collection<Integer> statuses, XMLElement extra) {
        StanzaBuilder b = new StanzaBuilder("presence", CLIENT)
                .addAttribute("from", from.getFullQualifiedName())
                .addAttribute("to", to.getFullQualifiedName());
        if (type != null) {
            b.addAttribute("type", type);
        }
        for (XMLElement e : payload) {
            b.addPreparedElement(e);
        }
        b.startInnerElement("x", MUC_USER);
        item.write(b);
        for (Integer code : statuses) {
            b.startInnerElement("status", MUC_USER).addAttribute("code", Integer.toString(code)).endInnerElement();
        }
        if (extra != null) {
            b.addPreparedElement(extra);
        }
        b.endInnerElement();
        return b.build();
    }

    /**
     * The error answer to a presence sent to a room (XEP-0045 §7.2.6-7.2.11): the error alone, without
     * echoing the join element, which could carry the room password.
     */
    static Stanza presenceError(Stanza presence, StanzaErrorCondition condition, String text) {
        StanzaBuilder b = new StanzaBuilder("presence", CLIENT)
                .addAttribute("from", presence.getAttributeValue("to"))
                .addAttribute("to", presence.getAttributeValue("from"))
                .addAttribute("type", "error");
        if (presence.getAttributeValue("id") != null) {
            b.addAttribute("id", presence.getAttributeValue("id"));
        }
        Entity to = presence.getTo();
        b.startInnerElement("error", CLIENT).addAttribute("type", StanzaErrors.typeOf(condition).value())
                .addAttribute("by", to.getBareJID().getFullQualifiedName());
        b.startInnerElement(condition.value(), NamespaceURIs.URN_IETF_PARAMS_XML_NS_XMPP_STANZAS).endInnerElement();
        if (text != null) {
            b.startInnerElement("text", NamespaceURIs.URN_IETF_PARAMS_XML_NS_XMPP_STANZAS)
                    .addAttribute(NamespaceURIs.XML, "lang", "en").addText(text).endInnerElement();
        }
        return b.endInnerElement().build();
    }

    /** A groupchat message from the room itself announcing status codes (e.g. 104, 170). */
    static Stanza statusMessage(Entity room, Entity to, Collection<Integer> statuses) {
        StanzaBuilder b = new StanzaBuilder("message", CLIENT)
                .addAttribute("from", room.getFullQualifiedName())
                .addAttribute("to", to.getFullQualifiedName())
                .addAttribute("type", "groupchat");
        b.startInnerElement("x", MUC_USER);
        for (Integer code : statuses) {
            b.startInnerElement("status", MUC_USER).addAttribute("code", Integer.toString(code)).endInnerElement();
        }
        b.endInnerElement();
        return b.build();
    }

    /** The first child element with this name and namespace, or null. */
    static XMLElement child(XMLElement parent, String name, String namespace) {
        for (XMLElement e : parent.getInnerElements()) {
            if (e.getName().equals(name) && namespace.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    /** The first child in {@code namespace} whatever its name, or null. */
    static XMLElement childIn(XMLElement parent, String namespace) {
        for (XMLElement e : parent.getInnerElements()) {
            if (namespace.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    /** Text of a child element, or null when the child is missing; "" when it is empty. */
    static String childText(XMLElement parent, String name, String namespace) {
        XMLElement child = child(parent, name, namespace);
        return child == null ? null : text(child);
    }

    static String text(XMLElement element) {
        StringBuilder sb = new StringBuilder();
        for (XMLText t : element.getInnerTexts()) {
            sb.append(t.getText());
        }
        return sb.toString();
    }

    /** An XEP-0082 date-time, or null when absent or malformed. */
    static Instant instant(String value) {
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value.strip()).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A non-negative integer attribute, or null when absent or malformed. */
    static Integer count(String value) {
        if (value == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(value.strip());
            return n < 0 ? null : n;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
