package org.parley.server.csi;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.stanza.Stanza;

/**
 * Client State Indication (XEP-0352) for one session. While the client says it is {@code <inactive/>}
 * (a phone with its screen off), stanzas that can wait (presence updates, chat states, PEP notifications)
 * are held in a bounded buffer, and anything that matters to the user (a message with a body, a
 * groupchat message naming the user's nickname, an encrypted message, a receipt request, an IQ, an
 * error) goes out at once, after what was held, so the client sees everything in the order it was sent.
 * {@code <active/>} or a full buffer sends what was held. A newer presence from the same full JID
 * replaces a held one: only the latest state matters. This follows the behaviour of Prosody's
 * mod_csi_simple (§5 leaves the policy to the server).
 *
 * <p>Held stanzas have not been sent, so stream management (XEP-0198) counts them only when they are.
 */
public final class ClientState {

    public static final String NS = "urn:xmpp:csi:0";
    private static final String NS_MUC_USER = "http://jabber.org/protocol/muc#user";
    /** Rooms whose nickname is remembered for mention detection; more are forgotten oldest first. */
    private static final int MAX_ROOMS = 1000;

    private final int capacity;
    private final List<Stanza> held = new ArrayList<>();
    /** The user's nickname per room bare JID, learnt from self-presence (XEP-0045 status 110). */
    private final Map<String, String> nicknames = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_ROOMS;
        }
    };
    private boolean inactive;

    /** @param capacity the most stanzas held before all of them are sent */
    public ClientState(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
    }

    /** {@code <inactive/>}: from now on, what can wait is held. */
    public synchronized void inactive() {
        inactive = true;
    }

    /** {@code <active/>}: sends what was held, in order, and sends everything at once from now on. */
    public synchronized void active(Consumer<Stanza> sink) {
        inactive = false;
        flush(sink);
    }

    public synchronized boolean isInactive() {
        return inactive;
    }

    /** Stanzas held right now. */
    public synchronized int heldCount() {
        return held.size();
    }

    /** Sends what was held (e.g. the session is handed over or ends), without changing the state. */
    public synchronized void flush(Consumer<Stanza> sink) {
        List<Stanza> out = new ArrayList<>(held);
        held.clear();
        out.forEach(sink);
    }

    /** Sends {@code stanza} through {@code sink} now, or holds it; either way in order with what was held. */
    public synchronized void write(Stanza stanza, Consumer<Stanza> sink) {
        learnNickname(stanza);
        if (!inactive) {
            sink.accept(stanza);
            return;
        }
        if (important(stanza)) {
            flush(sink);
            sink.accept(stanza);
            return;
        }
        if ("presence".equals(stanza.getName())) {
            String from = stanza.getAttributeValue("from");
            for (Iterator<Stanza> it = held.iterator(); it.hasNext(); ) {
                Stanza older = it.next();
                if ("presence".equals(older.getName()) && from != null
                        && from.equals(older.getAttributeValue("from")) && isPlainPresence(older)) {
                    it.remove(); // superseded: only the newest state of that resource matters
                }
            }
        }
        held.add(stanza);
        if (held.size() >= capacity) {
            flush(sink);
        }
    }

    /** What the user should get at once even while the client is inactive. */
    boolean important(Stanza stanza) {
        String name = stanza.getName();
        String type = stanza.getAttributeValue("type");
        if ("iq".equals(name) || "error".equals(type)) {
            return true; // requests wait for answers; errors answer something the user did
        }
        if ("presence".equals(name)) {
            return !isPlainPresence(stanza); // subscription requests and answers need the user
        }
        if (!"message".equals(name)) {
            return true;
        }
        return importantMessage(stanza, 0);
    }

    private boolean importantMessage(XMLElement message, int depth) {
        String body = null;
        for (XMLElement child : message.getInnerElements()) {
            String ns = child.getNamespaceURI();
            String local = child.getName();
            if ("body".equals(local) && (ns == null || NamespaceURIs.JABBER_CLIENT.equals(ns))) {
                body = text(child);
            } else if ("urn:xmpp:receipts".equals(ns) && "request".equals(local)) {
                return true; // XEP-0184: the sender waits for the receipt
            } else if ("encrypted".equals(local) || "openpgp".equals(local) || "jabber:x:encrypted".equals(ns)) {
                return true; // OMEMO (XEP-0384), OX (XEP-0373), legacy OpenPGP: the body is inside
            } else if ("urn:xmpp:jingle-message:0".equals(ns) && "propose".equals(local)) {
                return true; // an incoming call rings now or never
            } else if ("urn:xmpp:carbons:2".equals(ns) && depth == 0) {
                // XEP-0280: a copy matters as much as the message it carries.
                XMLElement forwarded = first(child, "forwarded", "urn:xmpp:forward:0");
                XMLElement inner = forwarded == null ? null : first(forwarded, "message", null);
                if (inner != null && importantMessage(inner, depth + 1)) {
                    return true;
                }
            }
        }
        if (body == null) {
            return false; // chat states, markers, PEP events: can wait
        }
        if (!"groupchat".equals(message.getAttributeValue("type"))) {
            return true;
        }
        // In a room, only what names the user (Prosody's mod_csi_simple does the same).
        String from = message.getAttributeValue("from");
        String room = from == null ? null : from.split("/", 2)[0];
        String nick = room == null ? null : nicknames.get(room);
        return nick != null && !nick.isEmpty() && body.toLowerCase(Locale.ROOT).contains(nick.toLowerCase(Locale.ROOT));
    }

    /** Available or unavailable presence (not a subscription request or answer, not an error). */
    private static boolean isPlainPresence(Stanza presence) {
        String type = presence.getAttributeValue("type");
        return type == null || "unavailable".equals(type);
    }

    /** XEP-0045 §7.2.3: the occupant's own presence carries status 110; its resource is the nickname. */
    private void learnNickname(Stanza stanza) {
        if (!"presence".equals(stanza.getName())) {
            return;
        }
        String from = stanza.getAttributeValue("from");
        if (from == null || from.indexOf('/') < 0) {
            return;
        }
        XMLElement x = first(stanza, "x", NS_MUC_USER);
        if (x == null) {
            return;
        }
        boolean self = false;
        for (XMLElement status : x.getInnerElements()) {
            if ("status".equals(status.getName()) && "110".equals(status.getAttributeValue("code"))) {
                self = true;
            }
        }
        if (!self) {
            return;
        }
        String[] parts = from.split("/", 2);
        if ("unavailable".equals(stanza.getAttributeValue("type"))) {
            nicknames.remove(parts[0]);
        } else {
            nicknames.put(parts[0], parts[1]);
        }
    }

    private static XMLElement first(XMLElement parent, String name, String ns) {
        for (XMLElement child : parent.getInnerElements()) {
            if (name.equals(child.getName()) && (ns == null || ns.equals(child.getNamespaceURI()))) {
                return child;
            }
        }
        return null;
    }

    private static String text(XMLElement element) {
        StringBuilder text = new StringBuilder();
        for (XMLText t : element.getInnerTexts()) {
            text.append(t.getText());
        }
        return text.toString();
    }
}
