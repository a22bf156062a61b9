package org.parley.server.storage;

import java.util.List;

/** Messages kept for users who are offline (XEP-0160), as serialised stanzas, oldest first. */
public interface OfflineStore {

    /**
     * Stores one stanza for the user.
     *
     * @param maxPerUser the per-user cap; when the queue already holds that many, nothing is stored
     * @return false when the queue was full
     */
    boolean store(String username, String stanzaXml, int maxPerUser);

    /** Returns and removes every stored stanza of the user, in the order stored, in one transaction. */
    List<String> drain(String username);

    int count(String username);

    /** Messages waiting for all accounts together (metrics); -1 when the store cannot tell. */
    default long countAll() {
        return -1;
    }
}
