package org.parley.server.roster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainerImpl;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.PresenceStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.RosterEntry;

/**
 * {@code jabber:iq:roster} get and set (RFC 6121 §2), with roster versioning (§2.6): a client that
 * presents the current version gets an empty result instead of the whole roster.
 */
final class RosterIqHandler implements StanzaHandler {

    private static final int MAX_NAME = 1023;

    private final RosterService rosters;
    private final SessionRegistry registry;
    private final SubscriptionHandler subscriptions;

    RosterIqHandler(RosterService rosters, SessionRegistry registry, SubscriptionHandler subscriptions) {
        this.rosters = rosters;
        this.registry = registry;
        this.subscriptions = subscriptions;
    }

    @Override
    public String getName() {
        return "roster";
    }

    @Override
    public boolean verify(Stanza stanza) {
        return stanza != null && "iq".equals(stanza.getName());
    }

    @Override
    public boolean isSessionRequired() {
        return true;
    }

    @Override
    public ResponseStanzaContainer execute(Stanza stanza, ServerRuntimeContext runtime, boolean outbound,
                                           SessionContext session, SessionStateHolder state) {
        if (!outbound) {
            // A roster query addressed to another client: not ours to answer (RFC 6121 §2.1.5).
            session.getResponseWriter().write(stanza);
            return null;
        }
        IQStanza iq = (IQStanza) XMPPCoreStanza.getWrapper(stanza);
        Entity user = session.getInitiatingEntity();
        Entity to = iq.getTo();
        if (to != null && !to.equals(user.getBareJID())) {
            if (to.isResourceSet() || to.getNode() != null) {
                return reply(StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "not your roster"));
            }
        }
        XMLElement query = iq.getFirstInnerElement();
        if (iq.getIQType() == IQStanzaType.GET) {
            return reply(get(iq, user, query, session));
        }
        if (iq.getIQType() == IQStanzaType.SET) {
            return reply(set(iq, user.getBareJID(), query));
        }
        return null;
    }

    private static ResponseStanzaContainer reply(Stanza stanza) {
        return stanza == null ? null : new ResponseStanzaContainerImpl(stanza);
    }

    private Stanza get(IQStanza iq, Entity user, XMLElement query, SessionContext session) {
        registry.markInterested(session);
        long version = rosters.version(user);
        String clientVersion = query.getAttributeValue("ver");
        StanzaBuilder result = StanzaBuilder.createIQStanza(null, iq.getFrom(), IQStanzaType.RESULT, iq.getID());
        if (clientVersion != null && clientVersion.equals(Long.toString(version))) {
            return result.build(); // §2.6.3: nothing changed, no roster sent
        }
        result.startInnerElement("query", RosterService.NS);
        if (clientVersion != null) {
            result.addAttribute("ver", Long.toString(version));
        }
        for (RosterEntry entry : rosters.listed(user)) {
            RosterService.appendItem(result, entry);
        }
        return result.endInnerElement().build();
    }

    private Stanza set(IQStanza iq, Entity user, XMLElement query) {
        List<XMLElement> items = query.getInnerElementsNamed("item");
        if (items.size() != 1 || query.getInnerElements().size() != 1) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "a roster set carries exactly one item");
        }
        XMLElement item = items.get(0);
        Entity contact;
        try {
            String jid = item.getAttributeValue("jid");
            if (jid == null) {
                return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "item without jid");
            }
            contact = EntityImpl.parse(jid);
        } catch (EntityFormatException | RuntimeException e) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "malformed jid");
        }
        contact = contact.getBareJID();
        if ("remove".equals(item.getAttributeValue("subscription"))) {
            return remove(iq, user, contact);
        }
        // §2.1.2.5: in a roster set, any subscription value other than "remove" is ignored.
        String name = item.getAttributeValue("name");
        if (name != null && name.length() > MAX_NAME) {
            return StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, "name too long");
        }
        List<String> groups = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (XMLElement group : item.getInnerElementsNamed("group")) {
            String text = text(group);
            if (text.isEmpty()) {
                return StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, "empty group name");
            }
            if (!seen.add(text)) {
                return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "duplicate group");
            }
            groups.add(text);
        }
        synchronized (rosters.lockFor(user)) {
            Optional<RosterEntry> existing = rosters.entry(user, contact);
            if ((existing.isEmpty() || !existing.get().listed())
                    && rosters.listed(user).size() >= rosters.itemLimit()) {
                // Issue 17 (limits.roster-size): a new contact beyond the quota; changing one is always allowed.
                return StanzaErrors.error(iq, StanzaErrorCondition.RESOURCE_CONSTRAINT,
                        "the roster holds at most " + rosters.itemLimit() + " contacts");
            }
            RosterEntry base = existing.orElse(new RosterEntry(contact.getFullQualifiedName(), null, "none", false,
                    false, false, List.of(), true));
            RosterEntry updated = new RosterEntry(base.contact(), name, base.subscription(), base.askOut(),
                    base.pendingIn(), base.approved(), groups, true);
            rosters.save(user, updated, existing.map(RosterEntry::listed).orElse(false));
        }
        return StanzaBuilder.createIQStanza(null, iq.getFrom(), IQStanzaType.RESULT, iq.getID()).build();
    }

    /** RFC 6121 §2.5: removing an item also cancels and revokes its subscriptions. */
    private Stanza remove(IQStanza iq, Entity user, Entity contact) {
        RosterEntry entry;
        synchronized (rosters.lockFor(user)) {
            Optional<RosterEntry> existing = rosters.entry(user, contact);
            if (existing.isEmpty() || !existing.get().listed()) {
                return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, null);
            }
            entry = existing.get();
            rosters.delete(user, entry);
        }
        Subscription sub = Subscription.of(entry.subscription());
        if (sub.to() || entry.askOut()) {
            subscriptions.sendOnBehalf(user, contact, PresenceStanzaType.UNSUBSCRIBE);
        }
        if (sub.from() || entry.pendingIn()) {
            subscriptions.sendOnBehalf(user, contact, PresenceStanzaType.UNSUBSCRIBED);
        }
        return StanzaBuilder.createIQStanza(null, iq.getFrom(), IQStanzaType.RESULT, iq.getID()).build();
    }

    private static String text(XMLElement element) {
        StringBuilder text = new StringBuilder();
        for (XMLText t : element.getInnerTexts()) {
            text.append(t.getText());
        }
        return text.toString().trim();
    }
}
