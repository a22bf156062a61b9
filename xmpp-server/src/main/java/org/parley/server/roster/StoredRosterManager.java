package org.parley.server.roster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.modules.roster.AskSubscriptionType;
import org.apache.vysper.xmpp.modules.roster.MutableRoster;
import org.apache.vysper.xmpp.modules.roster.Roster;
import org.apache.vysper.xmpp.modules.roster.RosterException;
import org.apache.vysper.xmpp.modules.roster.RosterGroup;
import org.apache.vysper.xmpp.modules.roster.RosterItem;
import org.apache.vysper.xmpp.modules.roster.SubscriptionType;
import org.apache.vysper.xmpp.modules.roster.persistence.AbstractRosterManager;
import org.parley.server.storage.RosterEntry;
import org.parley.server.storage.RosterStore;

/**
 * Vysper's roster API on Parley's {@link RosterStore}, for Vysper's presence handling (broadcast to
 * contacts, probes). Parley's {@link RosterService} makes every change and evicts the cached copy, so
 * reads here are cached per user until the next change.
 */
public final class StoredRosterManager extends AbstractRosterManager {

    private final RosterStore store;
    private final Map<Entity, MutableRoster> cache = new ConcurrentHashMap<>();

    public StoredRosterManager(RosterStore store) {
        this.store = store;
    }

    @Override
    protected Roster retrieveRosterInternal(Entity bareJid) {
        return cache.computeIfAbsent(bareJid, this::load);
    }

    @Override
    protected Roster addNewRosterInternal(Entity jid) {
        return retrieveRosterInternal(jid.getBareJID());
    }

    private MutableRoster load(Entity bareJid) {
        MutableRoster roster = new MutableRoster();
        for (RosterEntry entry : store.roster(bareJid.getNode())) {
            if (entry.listed()) {
                roster.addItem(toItem(entry));
            }
        }
        return roster;
    }

    @Override
    public void addContact(Entity jid, RosterItem item) throws RosterException {
        super.addContact(jid, item);
        store.put(jid.getNode(), toEntry(item));
    }

    @Override
    public void removeContact(Entity jid, Entity contact) throws RosterException {
        super.removeContact(jid, contact);
        Entity bare = jid.getBareJID();
        MutableRoster old = (MutableRoster) retrieve(bare);
        MutableRoster rebuilt = new MutableRoster();
        for (RosterItem item : old) {
            if (!item.getJid().getBareJID().equals(contact.getBareJID())) {
                rebuilt.addItem(item);
            }
        }
        cache.put(bare, rebuilt);
        store.remove(jid.getNode(), contact.getBareJID().getFullQualifiedName());
    }

    /** Forgets a deleted account's cached roster. */
    public void evict(Entity user) {
        cache.remove(user.getBareJID());
    }

    private static RosterItem toItem(RosterEntry entry) {
        List<RosterGroup> groups = new ArrayList<>();
        entry.groups().forEach(g -> groups.add(new RosterGroup(g)));
        AskSubscriptionType ask = entry.askOut() ? AskSubscriptionType.ASK_SUBSCRIBE
                : entry.pendingIn() ? AskSubscriptionType.ASK_SUBSCRIBED : AskSubscriptionType.NOT_SET;
        return new RosterItem(EntityImpl.parseUnchecked(entry.contact()), entry.name(),
                SubscriptionType.valueOf(entry.subscription().toUpperCase(java.util.Locale.ROOT)), ask, groups);
    }

    private static RosterEntry toEntry(RosterItem item) {
        List<String> groups = new ArrayList<>();
        item.getGroups().forEach(g -> groups.add(g.getName()));
        AskSubscriptionType ask = item.getAskSubscriptionType();
        SubscriptionType subscription = item.getSubscriptionType() == null ? SubscriptionType.NONE
                : item.getSubscriptionType();
        return new RosterEntry(item.getJid().getBareJID().getFullQualifiedName(), item.getName(), subscription.value(),
                ask == AskSubscriptionType.ASK_SUBSCRIBE, ask == AskSubscriptionType.ASK_SUBSCRIBED, false, groups);
    }
}
