package org.parley.server.storage;

import java.util.List;
import java.util.Optional;

/** Rosters of local users, keyed by username (node part) and the contact's bare JID. */
public interface RosterStore {

    List<RosterEntry> roster(String username);

    Optional<RosterEntry> entry(String username, String contact);

    /** Inserts or replaces the item for {@code entry.contact()}; returns the new roster version. */
    long put(String username, RosterEntry entry);

    /** Removes the item; returns the new roster version, or empty when there was no such item. */
    Optional<Long> remove(String username, String contact);

    /** The current roster version (RFC 6121 §2.6); 0 for an empty, never-changed roster. */
    long version(String username);
}
