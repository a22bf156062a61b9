package org.parley.server.admin;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.MessageStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.parley.server.storage.DocumentStore;

/**
 * The message of the day (XEP-0133 set-motd, edit-motd, delete-motd): sent by the server to each session once, with its first
 * available presence, until deleted. Kept as a document of the server's own (user name "").
 */
public final class MessageOfTheDay {

    static final String KEY = AdminCommands.PARLEY + " motd";

    private final DocumentStore documents;
    private final Entity server;
    private final BiConsumer<Entity, Stanza> send;
    private volatile String text;
    /** Sessions (full JIDs) that got it; bounded by the sessions online, each forgotten when it leaves. */
    private final Set<Entity> told = ConcurrentHashMap.newKeySet();

    public MessageOfTheDay(DocumentStore documents, String domain, BiConsumer<Entity, Stanza> send) {
        this.documents = documents;
        this.server = new EntityImpl(null, domain, null);
        this.send = send;
        this.text = documents.get("", KEY).filter(t -> !t.isEmpty()).orElse(null);
    }

    public Optional<String> text() {
        return Optional.ofNullable(text);
    }

    /** Sets (or, with null or empty, deletes) the message; sessions already online are told at once. */
    public void set(String message, Iterable<Entity> online) {
        if (message == null || message.isEmpty()) {
            text = null;
            documents.delete("", KEY);
            return;
        }
        text = message;
        documents.put("", KEY, message);
        for (Entity session : online) {
            told.add(session);
            send.accept(session, message(session, message));
        }
    }

    /**
     * Reads the message again (another node of a cluster changed it, issue 19); this node's sessions already
     * {@code online} are told the new one at once, as that node told its own.
     */
    public void reload(Iterable<Entity> online) {
        String stored = documents.get("", KEY).filter(t -> !t.isEmpty()).orElse(null);
        text = stored;
        if (stored != null) {
            for (Entity session : online) {
                told.add(session);
                send.accept(session, message(session, stored));
            }
        }
    }

    /** A session's broadcast presence: its first available one gets the message. */
    public void presence(Entity fullJid, Stanza presence) {
        String current = text;
        if (current != null && presence.getAttributeValue("type") == null && told.add(fullJid)) {
            send.accept(fullJid, message(fullJid, current));
        }
    }

    /** The session left (its next login is told again). */
    public void departed(Entity fullJid) {
        told.remove(fullJid);
    }

    private Stanza message(Entity to, String body) {
        return StanzaBuilder.createMessageStanza(server, to, MessageStanzaType.HEADLINE, null, body).build();
    }
}
