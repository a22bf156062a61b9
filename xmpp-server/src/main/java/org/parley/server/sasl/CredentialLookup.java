package org.parley.server.sasl;

import java.util.Map;
import java.util.Optional;

/**
 * Finds the stored SCRAM verifiers of a user, so mechanisms need not depend on the storage layer
 * (typically {@code accountStore::credentials}).
 */
@FunctionalInterface
public interface CredentialLookup {

    /**
     * @param username nodeprep-normalised local part
     * @return the verifiers, empty when there is no such account
     */
    Optional<Map<ScramHash, ScramCredential>> credentials(String username);
}
