package org.parley.server.roster;

import java.util.List;
import java.util.Optional;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.storage.RosterEntry;
import org.parley.server.storage.RosterStore;

/**
 * Rosters (RFC 6121 §2): reads, writes and roster pushes, with a version per change (§2.6). Every
 * change goes through here, so Vysper's read view ({@link StoredRosterManager}, used for presence
 * broadcast) is refreshed and every interested resource gets its push.
 */
public final class RosterService {

    static final String NS = "jabber:iq:roster";

    private static final int STRIPES = 256;

    private final Object[] locks = new Object[STRIPES];
    private final RosterStore store;
    private final StoredRosterManager view;
    private final SessionRegistry registry;

    public RosterService(RosterStore store, StoredRosterManager view, SessionRegistry registry) {
        this.store = store;
        this.view = view;
        this.registry = registry;
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    private volatile int itemLimit = Integer.MAX_VALUE;

    /** Caps the contacts of one roster (issue 17, limits.roster-size); returns this. */
    public RosterService withItemLimit(int items) {
        this.itemLimit = items;
        return this;
    }

    /** Contacts one roster may hold. */
    public int itemLimit() {
        return itemLimit;
    }

    /**
     * The lock that serialises read-modify-write changes of one user's roster: sessions of different users
     * change the same roster concurrently (a request and a pre-approval crossing). Never hold two of these
     * at once; callers send to other users only after releasing it.
     */
    public Object lockFor(Entity user) {
        return locks[(user.getBareJID().hashCode() & 0x7fffffff) % STRIPES];
    }

    /** The items the user sees (pending-only rows excluded), and the version they are at. */
    public List<RosterEntry> listed(Entity user) {
        return store.roster(user.getNode()).stream().filter(RosterEntry::listed).toList();
    }

    public long version(Entity user) {
        return store.version(user.getNode());
    }

    /** Every row kept for the user, pending-only ones included. */
    public List<RosterEntry> all(Entity user) {
        return store.roster(user.getNode());
    }

    public Optional<RosterEntry> entry(Entity user, Entity contact) {
        return store.entry(user.getNode(), contact.getBareJID().getFullQualifiedName());
    }

    /** Saves the row and pushes it when it is (or was) part of the visible roster. */
    public void save(Entity user, RosterEntry entry, boolean wasListed) {
        long version = store.put(user.getNode(), entry);
        view.evict(user);
        if (entry.listed() || wasListed) {
            push(user, entry.listed() ? entry : removal(entry.contact()), version);
        }
    }

    /** Removes the row; pushes {@code subscription='remove'} when it was visible (RFC 6121 §2.5.2). */
    public void delete(Entity user, RosterEntry entry) {
        Optional<Long> version = store.remove(user.getNode(), entry.contact());
        view.evict(user);
        if (version.isPresent() && entry.listed()) {
            push(user, removal(entry.contact()), version.get());
        }
    }

    private static RosterEntry removal(String contact) {
        return new RosterEntry(contact, null, "remove", false, false, false, List.of());
    }

    /** Roster push to every resource that asked for the roster (RFC 6121 §2.1.6). */
    private void push(Entity user, RosterEntry entry, long version) {
        for (SessionRegistry.Binding binding : registry.bindingsOf(user)) {
            if (binding.interested()) {
                StanzaBuilder iq = StanzaBuilder.createIQStanza(null, binding.fullJid(), IQStanzaType.SET,
                        "push-" + version + "-" + Long.toHexString(System.nanoTime()));
                iq.startInnerElement("query", NS).addAttribute("ver", Long.toString(version));
                appendItem(iq, entry);
                iq.endInnerElement();
                binding.session().getResponseWriter().write(iq.build());
            }
        }
    }

    /** Renders one item as RFC 6121 §2.1.2 describes it. */
    static void appendItem(StanzaBuilder builder, RosterEntry entry) {
        builder.startInnerElement("item", NS).addAttribute("jid", entry.contact());
        if (entry.name() != null && !entry.name().isEmpty()) {
            builder.addAttribute("name", entry.name());
        }
        builder.addAttribute("subscription", entry.subscription());
        if (entry.askOut()) {
            builder.addAttribute("ask", "subscribe");
        }
        if (entry.approved()) {
            builder.addAttribute("approved", "true");
        }
        for (String group : entry.groups()) {
            builder.startInnerElement("group", NS).addText(group).endInnerElement();
        }
        builder.endInnerElement();
    }

    static String render(Stanza stanza) {
        return new Renderer(stanza).getComplete();
    }
}
