package org.parley.server.pubsub;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.delivery.failure.DeliveryException;
import org.apache.vysper.xmpp.delivery.failure.IgnoreFailureStrategy;
import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Identity;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequestListener;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Item;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ItemRequestListener;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServerInfoRequestListener;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServiceDiscoveryRequestException;
import org.apache.vysper.xmpp.protocol.HandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceHandlerDictionary;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainer;
import org.apache.vysper.xmpp.protocol.ResponseStanzaContainerImpl;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.PubSubStore;
import org.parley.server.storage.RosterEntry;
import org.parley.server.storage.RosterStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The personal eventing service of every account (XEP-0163): pubsub requests to an account's bare JID
 * (or without 'to', for one's own) are served by that account's {@link PubSubService}; notifications go
 * to the account's own resources and to contacts with a presence subscription whose entity capabilities
 * ask for them ({@link EntityCaps}); the last published items follow when a contact becomes available.
 *
 * <p>Disco: the account's disco#info gains identity {@code pubsub/pep} and the PEP features (an
 * {@link InfoRequestListener}, Vysper's hook for entities with a localpart), its disco#items lists the
 * nodes the requester may see, and the server's disco#info lists the features too (clients such as
 * Smack's OpenPGP check the server for {@code #access-whitelist}).
 */
public final class PepService extends DefaultDiscoAwareModule
        implements InfoRequestListener, ItemRequestListener, ServerInfoRequestListener {

    private static final Logger LOG = LoggerFactory.getLogger(PepService.class);

    private final PubSubStore store;
    private final RosterStore rosters;
    private final SessionRegistry registry;
    private final Predicate<String> accountExists;
    private final PubSubLimits limits;
    private final Map<Entity, PubSubService> services = new ConcurrentHashMap<>();
    private volatile ServerRuntimeContext runtime;
    private volatile PubSubEnvironment environment;
    private volatile EntityCaps caps;
    private final List<PepHook> hooks = new CopyOnWriteArrayList<>();
    private final List<String> accountFeatures = new CopyOnWriteArrayList<>();

    public PepService(PubSubStore store, RosterStore rosters, SessionRegistry registry,
                      Predicate<String> accountExists, PubSubLimits limits) {
        this.store = store;
        this.rosters = rosters;
        this.registry = registry;
        this.accountExists = accountExists;
        this.limits = limits;
    }

    @Override
    public String getName() {
        return "Parley personal eventing (XEP-0163)";
    }

    @Override
    public String getVersion() {
        return "1.2";
    }

    @Override
    public void initialize(ServerRuntimeContext serverRuntimeContext) {
        super.initialize(serverRuntimeContext);
        this.runtime = serverRuntimeContext;
        Entity server = serverRuntimeContext.getServerEnitity();
        this.environment = new PubSubEnvironment(store, rosters, server.getDomain(), accountExists, this::send,
                this::interested, limits, new Hooks());
        this.caps = new EntityCaps(server, this::send,
                jid -> registry.find(jid).map(b -> org.apache.vysper.xmpp.state.resourcebinding.ResourceState
                        .isAvailable(b.state())).orElse(false),
                this::startedAsking);
    }

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
        StanzaHandler handler = new Handler();
        dictionaries.add(new NamespaceHandlerDictionary(PubSubXml.PUBSUB, handler));
        dictionaries.add(new NamespaceHandlerDictionary(PubSubXml.OWNER, handler));
    }

    @Override
    protected void addInfoRequestListeners(List<InfoRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    protected void addItemRequestListeners(List<ItemRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    protected void addServerInfoRequestListeners(List<ServerInfoRequestListener> listeners) {
        listeners.add(this);
    }

    // ------------------------------------------------------------------ other features on PEP

    /**
     * Lets a feature watch and vet clients' changes to PEP nodes, and advertise {@code features} in the
     * accounts' (and the server's) disco#info: e.g. {@code urn:xmpp:bookmarks:1#compat} (XEP-0402 §5.3).
     */
    public void addHook(PepHook hook, String... features) {
        hooks.add(hook);
        accountFeatures.addAll(List.of(features));
    }

    /** One stored item: its id and its payload (null for none). */
    public record PepItem(String id, XMLElement payload) {
    }

    /** The items of an account's node, newest first; none when the node does not exist. */
    public List<PepItem> items(Entity account, String node) {
        PubSubService service = service(account);
        List<PepItem> result = new ArrayList<>();
        for (PubSubStore.StoredItem item : service.allItems(node)) {
            result.add(new PepItem(item.id(), service.payloadOf(item)));
        }
        return result;
    }

    /**
     * Publishes on the account's behalf (creating the node, or reconfiguring it, to {@code config}: form
     * fields such as {@code pubsub#access_model}); notifies like a client's publish; hooks are not told.
     */
    public void publish(Entity account, String node, String id, XMLElement payload, Map<String, String> config) {
        Map<String, List<String>> form = new java.util.LinkedHashMap<>();
        config.forEach((k, v) -> form.put(k, List.of(v)));
        service(account).publishAsOwner(node, id, payload, form);
    }

    /** Retracts on the account's behalf, notifying; false when there was no such item. */
    public boolean retract(Entity account, String node, String id) {
        return service(account).retractAsOwner(node, id);
    }

    private final class Hooks implements PepHook {
        @Override
        public Refusal check(Entity account, String node, String itemId, XMLElement payload) {
            for (PepHook hook : hooks) {
                Refusal r = hook.check(account, node, itemId, payload);
                if (r != null) {
                    return r;
                }
            }
            return null;
        }

        @Override
        public void changed(Entity account, String node) {
            for (PepHook hook : hooks) {
                try {
                    hook.changed(account, node);
                } catch (RuntimeException e) {
                    LOG.error("PEP hook failed after a change of {} on {}", node, account, e);
                }
            }
        }
    }

    // ------------------------------------------------------------------ hooks from the stream and registry

    /** An available presence a resource broadcast: its capabilities may ask for notifications. */
    public void presence(Entity fullJid, Stanza presence) {
        String type = presence.getAttributeValue("type");
        if (type == null && caps != null) {
            caps.presence(fullJid, presence);
        }
    }

    /** An IQ response addressed to the server itself; true when it was the answer to a capability query. */
    public boolean response(Stanza iq) {
        return caps != null && caps.response(iq);
    }

    /** The resource is no longer available. */
    public void departed(Entity fullJid) {
        if (caps != null) {
            caps.departed(fullJid);
        }
    }

    /**
     * Drops this node's copy of an account's PEP service (another cluster node changed it, issue 19); the next
     * use loads it from storage again.
     */
    public void forget(Entity account) {
        services.remove(account.getBareJID());
    }

    /** The PEP service of an account (loaded from storage on first use). */
    PubSubService service(Entity account) {
        return services.computeIfAbsent(account.getBareJID(), a -> new PubSubService(a, true, environment));
    }

    /** Owner's and contacts' available resources that ask for the node's notifications. */
    private Collection<Entity> interested(Entity owner, String node) {
        Set<Entity> result = new LinkedHashSet<>();
        List<Entity> candidates = new ArrayList<>();
        candidates.add(owner);
        for (RosterEntry entry : rosters.roster(owner.getNode())) {
            if ("from".equals(entry.subscription()) || "both".equals(entry.subscription())) {
                candidates.add(EntityImpl.parseUnchecked(entry.contact()));
            }
        }
        for (Entity user : candidates) {
            for (SessionRegistry.Binding b : registry.availableBindingsOf(user)) {
                if (caps.notifyNodes(b.fullJid()).contains(node)) {
                    result.add(b.fullJid());
                }
            }
        }
        return result;
    }

    /** XEP-0163 §4.3.4: the resource now asks for these nodes; send it their last items from its contacts. */
    private void startedAsking(Entity fullJid, Set<String> nodes) {
        Entity user = fullJid.getBareJID();
        List<Entity> publishers = new ArrayList<>();
        publishers.add(user);
        String domain = runtime.getServerEnitity().getDomain();
        for (RosterEntry entry : rosters.roster(user.getNode())) {
            if ("to".equals(entry.subscription()) || "both".equals(entry.subscription())) {
                Entity contact = EntityImpl.parseUnchecked(entry.contact());
                if (contact.getNode() != null && domain.equals(contact.getDomain())) {
                    publishers.add(contact);
                }
            }
        }
        for (Entity publisher : publishers) {
            for (Stanza event : service(publisher).lastItems(fullJid, nodes)) {
                send(event);
            }
        }
    }

    private void send(Stanza stanza) {
        try {
            runtime.getStanzaRelay().relay(stanza.getTo(), stanza, IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
        } catch (DeliveryException e) {
            LOG.debug("could not deliver {} to {}: {}", stanza.getName(), stanza.getTo(), e.toString());
        }
    }

    // ------------------------------------------------------------------ disco

    private boolean isAccount(Entity to) {
        return to != null && to.getNode() != null && !to.isResourceSet()
                && to.getDomain().equals(runtime.getServerEnitity().getDomain()) && accountExists.test(to.getNode());
    }

    @Override
    public List<InfoElement> getInfosFor(InfoRequest request) throws ServiceDiscoveryRequestException {
        Entity to = request.getTo();
        if (!isAccount(to)) {
            return null;
        }
        Entity requester = request.getFrom() == null ? to : request.getFrom().getBareJID();
        if (request.getNode() == null || request.getNode().isEmpty()) {
            List<InfoElement> infos = new ArrayList<>();
            infos.add(new Identity("account", "registered"));
            infos.add(new Identity("pubsub", "pep"));
            infos.addAll(PubSubFeatures.asInfo(PubSubFeatures.pep()));
            infos.addAll(PubSubFeatures.asInfo(accountFeatures));
            return infos;
        }
        if (service(to).visibleNode(request.getNode(), requester).isEmpty()) {
            throw new ServiceDiscoveryRequestException(StanzaErrorCondition.ITEM_NOT_FOUND);
        }
        return List.of(new Identity("pubsub", "leaf"), new Feature(PubSubXml.PUBSUB));
    }

    @Override
    public List<Item> getItemsFor(InfoRequest request) throws ServiceDiscoveryRequestException {
        Entity to = request.getTo();
        if (!isAccount(to) || request.getNode() != null && !request.getNode().isEmpty()) {
            return null;
        }
        Entity requester = request.getFrom() == null ? to : request.getFrom().getBareJID();
        List<Item> items = new ArrayList<>();
        service(to).visibleNodes(requester).forEach((node, title) ->
                items.add(new Item(to.getBareJID(), title == null || title.isEmpty() ? null : title, node)));
        return items;
    }

    @Override
    public List<InfoElement> getServerInfosFor(InfoRequest request) {
        if (request.getNode() != null && !request.getNode().isEmpty()) {
            return null;
        }
        List<InfoElement> infos = new ArrayList<>(PubSubFeatures.asInfo(PubSubFeatures.pep()));
        infos.addAll(PubSubFeatures.asInfo(accountFeatures));
        return infos;
    }

    // ------------------------------------------------------------------ IQ handling

    /** Pubsub IQs to an account's bare JID (or without 'to'): the StanzaDispatcher relays the rest. */
    private final class Handler implements StanzaHandler {
        @Override
        public String getName() {
            return "pubsub (PEP)";
        }

        @Override
        public boolean verify(Stanza stanza) {
            return "iq".equals(stanza.getName());
        }

        @Override
        public boolean isSessionRequired() {
            return true;
        }

        @Override
        public ResponseStanzaContainer execute(Stanza stanza, ServerRuntimeContext serverRuntimeContext,
                                               boolean isOutboundStanza, SessionContext sessionContext,
                                               SessionStateHolder sessionStateHolder) {
            if (!isOutboundStanza) {
                if (sessionContext != null) {
                    sessionContext.getResponseWriter().write(stanza);
                }
                return null;
            }
            if (!StanzaErrors.isRequest(stanza)) {
                return null; // responses are never answered (RFC 6120 §8.2.3)
            }
            Entity from = stanza.getFrom() != null ? stanza.getFrom()
                    : sessionContext == null ? null : sessionContext.getInitiatingEntity();
            if (from == null) {
                return null;
            }
            Entity to = stanza.getTo();
            Entity account = to == null ? from.getBareJID() : to.getBareJID();
            if (account.getNode() == null) {
                // The server itself hosts no nodes: they live at the accounts and at the pubsub service.
                return new ResponseStanzaContainerImpl(StanzaErrors.error(stanza,
                        StanzaErrorCondition.FEATURE_NOT_IMPLEMENTED, "pubsub lives at the accounts and the pubsub service"));
            }
            if (!account.equals(from.getBareJID()) && !accountExists.test(account.getNode())) {
                return new ResponseStanzaContainerImpl(StanzaErrors.error(stanza,
                        StanzaErrorCondition.SERVICE_UNAVAILABLE, null));
            }
            return new ResponseStanzaContainerImpl(service(account).handle(stanza, from));
        }
    }
}
