package org.parley.client.core;

import java.util.Set;

/**
 * A roster entry with its current presence.
 *
 * @param jid bare address
 * @param name the name the user gave, or null
 * @param groups roster groups
 * @param subscription {@code none}, {@code to}, {@code from} or {@code both}
 * @param pendingOut a subscription request to this contact is awaiting an answer
 * @param availability the best presence of any of the contact's resources
 * @param status the status message of that presence, or null
 */
public record Contact(String jid, String name, Set<String> groups, String subscription, boolean pendingOut,
        Availability availability, String status) {

    /** The name if set, otherwise the address. */
    public String displayName() {
        return name == null || name.isBlank() ? jid : name;
    }
}
