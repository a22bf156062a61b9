package org.parley.server.offline;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.modules.extension.xep0160_offline_storage.AbstractOfflineStorageProvider;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.Redelivery;
import org.parley.server.storage.OfflineStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Offline storage (XEP-0160) on Parley's {@link OfflineStore}: messages for an offline user are kept,
 * stamped with their original time (XEP-0203), and delivered when the user next sends initial presence
 * (Vysper's presence handler asks for them). Stored durably before the sender's stream moves on.
 */
public final class OfflineMessages extends AbstractOfflineStorageProvider implements LocalRelay.OfflineSink {

    private static final Logger LOG = LoggerFactory.getLogger(OfflineMessages.class);

    private final OfflineStore store;
    private final String domain;
    private final int maxPerUser;

    public OfflineMessages(OfflineStore store, String domain, int maxPerUser) {
        this.store = store;
        this.domain = domain;
        this.maxPerUser = maxPerUser;
    }

    @Override
    public boolean offer(Entity recipient, Stanza stanza) {
        StanzaBuilder builder = new StanzaBuilder(stanza.getName(), stanza.getNamespaceURI());
        stanza.getAttributes().forEach(builder::addAttribute);
        stanza.getInnerElements().forEach(builder::addPreparedElement);
        Stanza stamped = builder.startInnerElement("delay", "urn:xmpp:delay")
                .addAttribute("from", domain)
                .addAttribute("stamp", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString())
                .addText("Offline storage").endInnerElement()
                .build();
        boolean stored = store.store(recipient.getNode(), new Renderer(stamped).getComplete(), maxPerUser);
        if (!stored) {
            LOG.info("offline queue of {} is full", recipient.getNode());
        }
        return stored;
    }

    @Override
    protected void storeStanza(Stanza stanza) {
        if (stanza.getTo() != null) {
            offer(stanza.getTo().getBareJID(), stanza);
        }
    }

    @Override
    public Collection<Stanza> getStanzasForBareJID(String bareJID) {
        String node = bareJID.substring(0, Math.max(0, bareJID.indexOf('@')));
        List<Stanza> stanzas = new ArrayList<>();
        for (String xml : store.drain(node)) {
            try {
                // Archived and stamped when first routed: delivered now without the hooks (Redelivery).
                stanzas.add(new Redelivery(StanzaParsing.parse(xml)));
            } catch (IllegalArgumentException e) {
                LOG.error("unreadable offline stanza for {} dropped: {}", node, e.getMessage());
            }
        }
        return stanzas;
    }
}
