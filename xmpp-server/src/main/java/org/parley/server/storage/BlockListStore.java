package org.parley.server.storage;

import java.util.Collection;
import java.util.Set;

/** The JIDs each local account blocked (XEP-0191), keyed by username (node part). */
public interface BlockListStore {

    /** The account's blocked JIDs, in no particular order; empty when none. */
    Set<String> blocked(String username);

    /** Adds the JIDs not yet on the list (adding one twice is not an error). */
    void add(String username, Collection<String> jids);

    /** Removes these JIDs; those not on the list are ignored. */
    void remove(String username, Collection<String> jids);

    /** Empties the account's list (XEP-0191 §3.5). */
    void clear(String username);
}
