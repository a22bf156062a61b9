package org.parley.server.storage;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.parley.server.sasl.ScramCredential;
import org.parley.server.sasl.ScramHash;

/**
 * Accounts of the local domain. Usernames are the node part of the JID, already nodeprep-normalised
 * (lower case) by the caller. Only SCRAM verifiers are stored, never passwords.
 */
public interface AccountStore {

    /** Creates the account; false when the username is taken. */
    boolean create(String username, Map<ScramHash, ScramCredential> credentials);

    /**
     * Creates many accounts in one batch (import, benchmarks). Existing usernames are skipped.
     *
     * @return how many accounts were created
     */
    int createAll(Map<String, Map<ScramHash, ScramCredential>> accounts);

    /** The stored verifiers, empty when there is no such account. */
    Optional<Map<ScramHash, ScramCredential>> credentials(String username);

    /** Replaces the verifiers of an existing account; false when there is no such account. */
    boolean updateCredentials(String username, Map<ScramHash, ScramCredential> credentials);

    boolean exists(String username);

    /** Deletes the account and everything stored for it (roster, offline messages, vCard, private XML). */
    boolean delete(String username);

    /** All usernames, sorted. */
    List<String> list();

    long count();
}
