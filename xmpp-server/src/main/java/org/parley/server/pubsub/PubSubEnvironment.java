package org.parley.server.pubsub;

import java.util.Collection;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.parley.server.storage.PubSubStore;
import org.parley.server.storage.RosterEntry;
import org.parley.server.storage.RosterStore;

/** The server as the pubsub services see it: storage, rosters, accounts, delivery. */
final class PubSubEnvironment implements PubSubService.Environment {

    private final PubSubStore store;
    private final RosterStore rosters;
    private final String domain;
    private final Predicate<String> accountExists;
    private final Consumer<Stanza> sender;
    private final BiFunction<Entity, String, Collection<Entity>> interested;
    private final PubSubLimits limits;
    private final PepHook hook;

    PubSubEnvironment(PubSubStore store, RosterStore rosters, String domain, Predicate<String> accountExists,
                      Consumer<Stanza> sender, BiFunction<Entity, String, Collection<Entity>> interested,
                      PubSubLimits limits) {
        this(store, rosters, domain, accountExists, sender, interested, limits, new PepHook() { });
    }

    PubSubEnvironment(PubSubStore store, RosterStore rosters, String domain, Predicate<String> accountExists,
                      Consumer<Stanza> sender, BiFunction<Entity, String, Collection<Entity>> interested,
                      PubSubLimits limits, PepHook hook) {
        this.hook = hook;
        this.store = store;
        this.rosters = rosters;
        this.domain = domain;
        this.accountExists = accountExists;
        this.sender = sender;
        this.interested = interested;
        this.limits = limits;
    }

    @Override
    public PubSubStore store() {
        return store;
    }

    @Override
    public String subscription(Entity owner, Entity contact) {
        if (owner.getNode() == null || !domain.equals(owner.getDomain())) {
            return "none";
        }
        return rosters.entry(owner.getNode(), contact.getBareJID().getFullQualifiedName())
                .map(RosterEntry::subscription).orElse("none");
    }

    @Override
    public boolean isLocalUser(Entity bareJid) {
        return bareJid.getNode() != null && domain.equals(bareJid.getDomain()) && accountExists.test(bareJid.getNode());
    }

    @Override
    public void send(Stanza stanza) {
        sender.accept(stanza);
    }

    @Override
    public Collection<Entity> interested(Entity owner, String node) {
        return interested == null ? List.of() : interested.apply(owner, node);
    }

    @Override
    public PepHook.Refusal check(Entity service, String node, String itemId, XMLElement payload) {
        return hook.check(service, node, itemId, payload);
    }

    @Override
    public void changed(Entity service, String node) {
        hook.changed(service, node);
    }

    @Override
    public int itemLimit() {
        return limits.itemLimit();
    }

    @Override
    public int itemBytes() {
        return limits.itemBytes();
    }

    @Override
    public int itemsPerAccount() {
        return limits.itemsPerAccount();
    }

    @Override
    public int nodesPerAccount() {
        return limits.nodesPerAccount();
    }

    @Override
    public int defaultMaxItems(boolean pep) {
        return pep ? limits.pepMaxItems() : limits.serviceMaxItems();
    }
}
