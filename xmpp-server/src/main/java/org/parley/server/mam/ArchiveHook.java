package org.parley.server.mam;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.MessageStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.retract.Retraction;
import org.parley.server.routing.DeliveryHook;
import org.parley.server.routing.RefusedException;

/**
 * Archives 1:1 messages between local accounts on their way through the relay: once for the sender
 * ({@link #sent}) and once for the recipient ({@link #receiving}), each under the owner's preferences,
 * and stamps what the recipient gets with the recipient's archive id (XEP-0359 {@code <stanza-id/>}).
 * The entries are written by the archive's group commit; the sender's stream acknowledges the message
 * (XEP-0198) only once they are committed ({@link org.parley.server.stream.DurableWrites}): both entries are
 * marked for the sender's session, passed explicitly as the sender's full JID.
 */
public final class ArchiveHook implements DeliveryHook {

    private final MessageArchive archive;

    public ArchiveHook(MessageArchive archive) {
        this.archive = archive;
    }

    /**
     * A message on its way with its XML as the sender's archive stored it, so that the recipient's archive,
     * which stores the same XML unless a spoofed id had to be removed, does not serialise it a second time.
     */
    static final class Rendered extends MessageStanza {
        private final String xml;

        Rendered(Stanza message, String xml) {
            super(message);
            this.xml = xml;
        }
    }

    @Override
    public Stanza sent(Entity sender, Entity recipient, Stanza message) {
        if (!MessageArchive.archivable(message)) {
            return message;
        }
        if (!archive.admit()) {
            // The writer's queue stays full: refused before delivery, so nothing is delivered unarchived.
            throw new RefusedException(StanzaErrorCondition.RESOURCE_CONSTRAINT,
                    "the message archive is overloaded; try again later");
        }
        String xml = archive.archiveRenderedForUser(sender.getBareJID(), recipient.getBareJID(), message, sender);
        String retracted = Retraction.retractedId(message);
        if (retracted != null) {
            archive.retractForUser(sender, sender, recipient, retracted);
        }
        return xml == null ? message : new Rendered(message, xml);
    }

    @Override
    public Stanza receiving(Entity recipientBare, Stanza message) {
        if (!MessageArchive.archivable(message) || message.getFrom() == null) {
            // Strip spoofed ids even from what is not archived (XEP-0359 §4).
            return MessageArchive.stamped(message, recipientBare, null);
        }
        Stanza clean = MessageArchive.stamped(message, recipientBare, null);
        String xml = clean == message && message instanceof Rendered r ? r.xml : null;
        String id = archive.archiveForUser(recipientBare, message.getFrom().getBareJID(), clean, message.getFrom(), xml);
        String retracted = Retraction.retractedId(message);
        if (retracted != null) {
            // XEP-0424 §7: only the author's own message is retracted (the 'from' is the sender's, stamped).
            archive.retractForUser(recipientBare, message.getFrom(), message.getFrom(), retracted);
        }
        return id == null ? clean : MessageArchive.stamped(clean, recipientBare, id);
    }
}
