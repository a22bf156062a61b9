package org.parley.server.storage;

import java.util.Optional;

/**
 * Small XML documents kept per user and key: the vCard (XEP-0054, key {@code "vcard-temp"}) and
 * private XML (XEP-0049, key {@code "<element> <namespace>"}).
 */
public interface DocumentStore {

    Optional<String> get(String username, String key);

    void put(String username, String key, String xml);

    boolean delete(String username, String key);

    /** How many of {@code username}'s documents have a key containing {@code marker} (for quotas). */
    default int count(String username, String marker) {
        throw new UnsupportedOperationException("this store cannot count");
    }
}
