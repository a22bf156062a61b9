package org.parley.server.blocking;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.PresenceStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.parley.server.routing.RouteGuard;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.BlockListStore;

/**
 * Every local account's block list (XEP-0191), read through a cache because the relay asks on every
 * stanza, and the routing rules that follow from it: as a {@link RouteGuard}, nothing passes between an
 * account and an entity it blocked, in either direction.
 */
public final class BlockLists implements RouteGuard {

    static final String NS = "urn:xmpp:blocking";
    static final String NS_ERRORS = "urn:xmpp:blocking:errors";
    /** Lists kept in memory; beyond that the cache starts over (the store stays the truth). */
    private static final int CACHED_ACCOUNTS = 50_000;

    private final BlockListStore store;
    private final String domain;
    private final Map<String, Set<String>> cache = new ConcurrentHashMap<>();

    /** Told the account whose list this node changed (a cluster tells the other nodes, issue 19). */
    private volatile java.util.function.Consumer<String> changed = username -> { };

    public BlockLists(BlockListStore store, String domain) {
        this.store = store;
        this.domain = domain;
    }

    /** {@code listener} learns of each list this node changes, once it is stored. */
    public void onChanged(java.util.function.Consumer<String> listener) {
        this.changed = listener;
    }

    /** Drops the cached list of {@code username} (another node changed it); the next check reads the store. */
    public void forget(String username) {
        cache.remove(username);
    }

    /** The normalised JIDs {@code username} blocked. */
    public Set<String> of(String username) {
        if (cache.size() > CACHED_ACCOUNTS) {
            cache.clear();
        }
        // computeIfAbsent holds the key's bin while loading, so an invalidation after a write waits for a
        // load in flight instead of letting it cache the old list.
        return cache.computeIfAbsent(username, u -> Set.copyOf(store.blocked(u)));
    }

    void add(String username, Collection<String> jids) {
        try {
            store.add(username, jids);
        } finally {
            cache.remove(username);
        }
        changed.accept(username);
    }

    void remove(String username, Collection<String> jids) {
        try {
            store.remove(username, jids);
        } finally {
            cache.remove(username);
        }
        changed.accept(username);
    }

    void clear(String username) {
        try {
            store.clear(username);
        } finally {
            cache.remove(username);
        }
        changed.accept(username);
    }

    /**
     * Whether {@code username} blocked {@code other}. XEP-0191 §6 takes XEP-0016 §2.1's matching: an item
     * matches a JID when it is that full JID, its bare JID, its domain/resource or its domain.
     */
    public boolean blocks(String username, Entity other) {
        Set<String> list = of(username);
        if (list.isEmpty() || other == null) {
            return false;
        }
        String d = other.getDomain();
        if (list.contains(d)) {
            return true;
        }
        String node = other.getNode();
        String resource = other.isResourceSet() ? other.getResource() : null;
        if (node != null && list.contains(node + "@" + d)) {
            return true;
        }
        if (resource != null) {
            return list.contains(d + "/" + resource) || node != null && list.contains(node + "@" + d + "/" + resource);
        }
        return false;
    }

    /** XEP-0191 §3.6 (inbound, the blocker's server) and §3.3 (outbound, "not-acceptable" + blocked). */
    @Override
    public Refusal check(Entity receiver, Stanza stanza) {
        Entity from = stanza.getFrom();
        if (from == null) {
            return null;
        }
        if (isLocalAccount(from) && !from.getBareJID().equals(receiver.getBareJID())
                && blocks(from.getNode(), receiver)) {
            if (PresenceStanza.isOfType(stanza)) {
                // Unavailable presence may still leave: that is what a block sends the contact (§3.3).
                return "unavailable".equals(stanza.getAttributeValue("type")) ? null : Refusal.DROP;
            }
            if (!StanzaErrors.answerable(stanza)) {
                return Refusal.DROP;
            }
            XMLElement blocked = new XMLElementBuilder("blocked", NS_ERRORS).build();
            return new Refusal(StanzaErrors.error(stanza, StanzaErrorCondition.NOT_ACCEPTABLE,
                    StanzaErrorType.CANCEL, null, blocked));
        }
        if (isLocalAccount(receiver) && !receiver.getBareJID().equals(from.getBareJID())
                && blocks(receiver.getNode(), from)) {
            XMPPCoreStanza core = XMPPCoreStanza.getWrapper(stanza);
            if (core == null || core instanceof PresenceStanza || !StanzaErrors.answerable(stanza)) {
                // Presence of every kind, IQ results and errors: dropped without a word.
                return Refusal.DROP;
            }
            // Messages and IQ requests: as if the user had no available resource (the user appears offline).
            return new Refusal(StanzaErrors.error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, null));
        }
        return null;
    }

    boolean isLocalAccount(Entity entity) {
        return entity != null && entity.getNode() != null && domain.equals(entity.getDomain());
    }
}
