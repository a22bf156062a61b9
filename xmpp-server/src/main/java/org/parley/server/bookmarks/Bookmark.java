package org.parley.server.bookmarks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.parley.server.parser.StanzaParsing;

/**
 * One room bookmark and its two spellings: a PEP Native Bookmark (XEP-0402 §3, an item with the room's JID
 * as id and a {@code <conference xmlns='urn:xmpp:bookmarks:1'/>} payload) and a {@code <conference/>} of
 * the old {@code storage:bookmarks} element (XEP-0048 §3.2) kept in private XML (XEP-0049).
 *
 * @param extensions XEP-0402's {@code <extensions/>} (kept for PEP; the old format has no place for it)
 */
record Bookmark(String jid, String name, boolean autojoin, String nick, String password, XMLElement extensions) {

    static final String PEP_NS = "urn:xmpp:bookmarks:1";
    static final String LEGACY_NS = "storage:bookmarks";
    static final String LEGACY_ELEMENT = "storage";

    /** The room JID of a bookmark, canonical, or null when it is not a bare JID with a localpart. */
    static String roomJid(String jid) {
        if (jid == null) {
            return null;
        }
        try {
            Entity e = EntityImpl.parse(jid);
            return e.getNode() == null || e.isResourceSet() ? null : e.getFullQualifiedName();
        } catch (EntityFormatException | RuntimeException e) {
            return null;
        }
    }

    /** The bookmark of a XEP-0402 item, or null when the payload is not a {@code <conference/>}. */
    static Bookmark fromPep(String itemId, XMLElement payload) {
        String jid = roomJid(itemId);
        if (jid == null || payload == null || !"conference".equals(payload.getName())
                || !PEP_NS.equals(payload.getNamespaceURI())) {
            return null;
        }
        return of(jid, payload, PEP_NS, StanzaParsing.child(payload, "extensions", PEP_NS));
    }

    /** The bookmarks of a {@code storage:bookmarks} element by room JID, in document order (first one wins). */
    static Map<String, Bookmark> fromLegacy(XMLElement storage) {
        Map<String, Bookmark> result = new LinkedHashMap<>();
        for (XMLElement conference : storage.getInnerElementsNamed("conference", LEGACY_NS)) {
            String jid = roomJid(conference.getAttributeValue("jid"));
            if (jid != null && !result.containsKey(jid)) {
                result.put(jid, of(jid, conference, LEGACY_NS, null));
            }
        }
        return result;
    }

    private static Bookmark of(String jid, XMLElement conference, String ns, XMLElement extensions) {
        String autojoin = conference.getAttributeValue("autojoin");
        XMLElement nick = StanzaParsing.child(conference, "nick", ns);
        XMLElement password = StanzaParsing.child(conference, "password", ns);
        return new Bookmark(jid, conference.getAttributeValue("name"),
                "true".equals(autojoin) || "1".equals(autojoin),
                nick == null ? null : StanzaParsing.text(nick), password == null ? null : StanzaParsing.text(password),
                extensions);
    }

    /** The XEP-0402 payload. */
    XMLElement toPep() {
        StanzaBuilder b = new StanzaBuilder("conference", PEP_NS);
        attributesAndChildren(b, PEP_NS);
        if (extensions != null) {
            b.addPreparedElement(extensions);
        }
        return b.build();
    }

    /** This bookmark with another one's extensions (a private-XML update must not drop them from PEP). */
    Bookmark withExtensions(XMLElement kept) {
        return new Bookmark(jid, name, autojoin, nick, password, kept);
    }

    /** Adds the XEP-0048 {@code <conference/>} to a {@code storage:bookmarks} element being built. */
    void addLegacy(StanzaBuilder storage) {
        storage.startInnerElement("conference", LEGACY_NS).addAttribute("jid", jid);
        attributesAndChildren(storage, LEGACY_NS);
        storage.endInnerElement();
    }

    private void attributesAndChildren(StanzaBuilder b, String ns) {
        if (name != null) {
            b.addAttribute("name", name);
        }
        if (autojoin) {
            b.addAttribute("autojoin", "true");
        }
        if (nick != null) {
            b.startInnerElement("nick", ns).addText(nick).endInnerElement();
        }
        if (password != null) {
            b.startInnerElement("password", ns).addText(password).endInnerElement();
        }
    }

    /** The {@code storage:bookmarks} element holding these bookmarks and the old one's other children (URLs). */
    static XMLElement legacyStorage(List<Bookmark> bookmarks, XMLElement old) {
        StanzaBuilder b = new StanzaBuilder(LEGACY_ELEMENT, LEGACY_NS);
        bookmarks.forEach(bookmark -> bookmark.addLegacy(b));
        if (old != null) {
            for (XMLElement child : old.getInnerElements()) {
                if (!"conference".equals(child.getName())) {
                    b.addPreparedElement(child);
                }
            }
        }
        return b.build();
    }
}
