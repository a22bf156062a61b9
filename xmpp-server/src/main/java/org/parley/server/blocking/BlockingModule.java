package org.parley.server.blocking;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityFormatException;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.delivery.failure.IgnoreFailureStrategy;
import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServerInfoRequestListener;
import org.apache.vysper.xmpp.protocol.HandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceHandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainerImpl;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.PresenceStanza;
import org.apache.vysper.xmpp.stanza.PresenceStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.state.presence.PresenceCachingException;
import org.apache.vysper.xmpp.state.resourcebinding.ResourceState;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.RosterEntry;
import org.parley.server.storage.RosterStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocking Command (XEP-0191, {@code urn:xmpp:blocking}): a user reads (§3.2), extends (§3.3) and shrinks
 * (§3.4, §3.5) the list of JIDs it blocks; every change is pushed to all of the user's resources that
 * asked for the roster, and the blocked contact stops (or, after an unblock, starts again) seeing the
 * user's presence. What the list means for routing is {@link BlockLists#check}.
 */
public final class BlockingModule extends DefaultDiscoAwareModule implements ServerInfoRequestListener {

    private static final Logger LOG = LoggerFactory.getLogger(BlockingModule.class);
    private static final AtomicLong PUSH_IDS = new AtomicLong();

    private final BlockLists lists;
    private final SessionRegistry registry;
    private final RosterStore rosters;
    private final String domain;
    private final int maxItems;

    /** @param maxItems the longest block list an account may have */
    public BlockingModule(BlockLists lists, SessionRegistry registry, RosterStore rosters, String domain,
                          int maxItems) {
        this.lists = lists;
        this.registry = registry;
        this.rosters = rosters;
        this.domain = domain;
        this.maxItems = maxItems;
    }

    @Override
    public String getName() {
        return "Parley blocking command (XEP-0191)";
    }

    @Override
    public String getVersion() {
        return "1.3";
    }

    @Override
    protected void addServerInfoRequestListeners(List<ServerInfoRequestListener> listeners) {
        listeners.add(this);
    }

    /** §3.1: the server advertises the feature. */
    @Override
    public List<InfoElement> getServerInfosFor(InfoRequest request) {
        return request.getNode() == null || request.getNode().isEmpty() ? List.of(new Feature(BlockLists.NS)) : null;
    }

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
        dictionaries.add(new NamespaceHandlerDictionary(BlockLists.NS, new Handler()));
    }

    private final class Handler implements StanzaHandler {
        @Override
        public String getName() {
            return "iq";
        }

        @Override
        public boolean verify(Stanza stanza) {
            XMLElement first = stanza.getFirstInnerElement();
            return "iq".equals(stanza.getName()) && first != null && BlockLists.NS.equals(first.getNamespaceURI());
        }

        @Override
        public boolean isSessionRequired() {
            return true;
        }

        @Override
        public ResponseStanzaContainer execute(Stanza iq, ServerRuntimeContext runtime, boolean outbound,
                                               SessionContext session, SessionStateHolder state) {
            if (!outbound || !StanzaErrors.isRequest(iq)) {
                return null;
            }
            Entity user = session.getInitiatingEntity().getBareJID();
            Entity to = iq.getTo();
            if (to != null && !to.equals(user)) {
                // The list is the user's own, handled by the user's server without 'to' (§3.2).
                return reply(StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, null));
            }
            XMLElement payload = iq.getFirstInnerElement();
            String type = iq.getAttributeValue("type");
            String element = payload.getName();
            try {
                if ("get".equals(type) && "blocklist".equals(element)) {
                    return reply(blocklist(iq, user));
                }
                if ("set".equals(type) && ("block".equals(element) || "unblock".equals(element))) {
                    return reply(change(iq, runtime, session, user, payload, "block".equals(element)));
                }
            } catch (RuntimeException e) {
                LOG.error("block list request of {} failed", user, e);
                return reply(StanzaErrors.error(iq, StanzaErrorCondition.INTERNAL_SERVER_ERROR, null));
            }
            return reply(StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, null));
        }
    }

    private static ResponseStanzaContainer reply(Stanza stanza) {
        return stanza == null ? null : new ResponseStanzaContainerImpl(stanza);
    }

    /** §3.2: the list, possibly empty. */
    private Stanza blocklist(Stanza iq, Entity user) {
        StanzaBuilder result = StanzaErrors.result(iq).startInnerElement("blocklist", BlockLists.NS);
        for (String jid : lists.of(user.getNode())) {
            result.startInnerElement("item", BlockLists.NS).addAttribute("jid", jid).endInnerElement();
        }
        return result.endInnerElement().build();
    }

    private Stanza change(Stanza iq, ServerRuntimeContext runtime, SessionContext session, Entity user, XMLElement payload, boolean block) {
        Set<String> jids = new LinkedHashSet<>();
        for (XMLElement item : payload.getInnerElements()) {
            if (!"item".equals(item.getName()) || !BlockLists.NS.equals(item.getNamespaceURI())) {
                continue;
            }
            String raw = item.getAttributeValue("jid");
            if (raw == null) {
                return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "an item needs a 'jid'");
            }
            Entity jid;
            try {
                jid = EntityImpl.parse(raw.trim());
            } catch (EntityFormatException | RuntimeException e) {
                return StanzaErrors.error(iq, StanzaErrorCondition.JID_MALFORMED, "not a JID: " + raw);
            }
            if (block && jid.getBareJID().equals(user)) {
                return StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, "you cannot block yourself");
            }
            if (block && jid.getNode() == null && domain.equals(jid.getDomain())) {
                // Blocking one's own server would cut the account off from the service that runs it.
                return StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, "you cannot block your own server");
            }
            jids.add(jid.getFullQualifiedName());
        }
        String username = user.getNode();
        if (block) {
            if (jids.isEmpty()) {
                // §3.3: a block without items is a bad request.
                return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "name at least one JID to block");
            }
            Set<String> current = lists.of(username);
            List<String> added = jids.stream().filter(j -> !current.contains(j)).toList();
            if (current.size() + added.size() > maxItems) {
                return StanzaErrors.error(iq, StanzaErrorCondition.RESOURCE_CONSTRAINT,
                        "a block list holds at most " + maxItems + " JIDs");
            }
            lists.add(username, added);
            // §3.3: the result first, then the pushes, so that the requester sees them in that order.
            session.getResponseWriter().write(StanzaErrors.result(iq).build());
            push(user, "block", jids);
            added.forEach(jid -> blocked(runtime, user, jid));
        } else {
            List<String> removed;
            if (jids.isEmpty()) {
                removed = new ArrayList<>(lists.of(username)); // §3.5: unblock all
                lists.clear(username);
            } else {
                Set<String> current = lists.of(username);
                removed = jids.stream().filter(current::contains).toList();
                lists.remove(username, jids);
            }
            session.getResponseWriter().write(StanzaErrors.result(iq).build());
            push(user, "unblock", jids);
            removed.forEach(jid -> unblocked(runtime, user, jid));
        }
        return null;
    }

    /** §3.3/§3.4: the change goes to every resource of the user that asked for the roster. */
    private void push(Entity user, String element, Set<String> jids) {
        for (SessionRegistry.Binding b : registry.bindingsOf(user)) {
            if (!ResourceState.isInterested(b.state())) {
                continue;
            }
            StanzaBuilder push = new StanzaBuilder("iq", NamespaceURIs.JABBER_CLIENT)
                    .addAttribute("to", b.fullJid().getFullQualifiedName())
                    .addAttribute("type", "set")
                    .addAttribute("id", "block-push-" + PUSH_IDS.incrementAndGet())
                    .startInnerElement(element, BlockLists.NS);
            for (String jid : jids) {
                push.startInnerElement("item", BlockLists.NS).addAttribute("jid", jid).endInnerElement();
            }
            b.session().getResponseWriter().write(push.endInnerElement().build());
        }
    }

    /**
     * §3.3: a contact allowed to see the user's presence is told the user went unavailable; the user's own
     * resources stop showing the contact as online, since its presence will no longer arrive.
     */
    private void blocked(ServerRuntimeContext runtime, Entity user, String jid) {
        Entity contact = parse(jid);
        if (contact == null || contact.getNode() == null) {
            return;
        }
        if (subscription(user, contact).matches("from|both")) {
            for (SessionRegistry.Binding b : registry.availableBindingsOf(user)) {
                relay(runtime, contact, StanzaBuilder.createPresenceStanza(b.fullJid(), contact, null,
                        PresenceStanzaType.UNAVAILABLE, null, null).build());
            }
        }
        if (isLocal(contact)) {
            List<SessionRegistry.Binding> userResources = registry.availableBindingsOf(user);
            for (SessionRegistry.Binding c : registry.availableBindingsOf(contact.getBareJID())) {
                if (contact.isResourceSet() && !contact.equals(c.fullJid())) {
                    continue;
                }
                for (SessionRegistry.Binding u : userResources) {
                    u.session().getResponseWriter().write(StanzaBuilder.createPresenceStanza(c.fullJid(),
                            u.fullJid(), null, PresenceStanzaType.UNAVAILABLE, null, null).build());
                }
            }
        }
    }

    /**
     * §3.4: the contact gets the user's current presence again if allowed to see it, and the user's server
     * shows the user the (local) contact's presence again when the user is subscribed to it.
     */
    private void unblocked(ServerRuntimeContext runtime, Entity user, String jid) {
        Entity contact = parse(jid);
        if (contact == null || contact.getNode() == null) {
            return;
        }
        String subscription = subscription(user, contact);
        if (subscription.matches("from|both")) {
            for (SessionRegistry.Binding b : registry.availableBindingsOf(user)) {
                relay(runtime, contact, presence(b.fullJid(), contact, latestPresence(runtime, b.fullJid())));
            }
        }
        if (subscription.matches("to|both") && isLocal(contact)) {
            // What a probe would bring (RFC 6121 §4.3.2), read directly: the contact is local.
            List<SessionRegistry.Binding> userResources = registry.availableBindingsOf(user);
            for (SessionRegistry.Binding c : registry.availableBindingsOf(contact.getBareJID())) {
                if (contact.isResourceSet() && !contact.equals(c.fullJid())) {
                    continue;
                }
                PresenceStanza latest = latestPresence(runtime, c.fullJid());
                for (SessionRegistry.Binding u : userResources) {
                    u.session().getResponseWriter().write(presence(c.fullJid(), u.fullJid(), latest));
                }
            }
        }
    }

    private static PresenceStanza latestPresence(ServerRuntimeContext runtime, Entity fullJid) {
        try {
            return runtime.getPresenceCache().get(fullJid);
        } catch (PresenceCachingException e) {
            return null;
        }
    }

    /** Available presence from {@code from} to {@code to} with the payload of {@code latest} (show, status...). */
    private static Stanza presence(Entity from, Entity to, PresenceStanza latest) {
        StanzaBuilder presence = new StanzaBuilder("presence", NamespaceURIs.JABBER_CLIENT)
                .addAttribute("from", from.getFullQualifiedName())
                .addAttribute("to", to.getFullQualifiedName());
        if (latest != null) {
            latest.getInnerElements().forEach(presence::addPreparedElement);
        }
        return presence.build();
    }

    private String subscription(Entity user, Entity contact) {
        return rosters.entry(user.getNode(), contact.getBareJID().getFullQualifiedName())
                .map(RosterEntry::subscription).orElse("none");
    }

    private boolean isLocal(Entity entity) {
        return domain.equals(entity.getDomain());
    }

    private static void relay(ServerRuntimeContext runtime, Entity to, Stanza stanza) {
        try {
            runtime.getStanzaRelay().relay(to, stanza, IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
        } catch (Exception e) {
            LOG.warn("presence for a block list change could not be sent to {}: {}", to, e.toString());
        }
    }

    private static Entity parse(String jid) {
        try {
            return EntityImpl.parse(jid);
        } catch (EntityFormatException | RuntimeException e) {
            return null;
        }
    }
}
