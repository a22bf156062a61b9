package org.parley.server.storage;

import java.util.List;
import java.util.Objects;

/**
 * One item of a user's roster (RFC 6121 §2.1.2).
 *
 * @param contact      bare JID of the contact
 * @param name         handle chosen by the user, may be null
 * @param subscription {@code none}, {@code to}, {@code from} or {@code both}
 * @param askOut       the user asked to subscribe to the contact and waits (RFC 6121 §3.1.2, ask='subscribe')
 * @param pendingIn    the contact asked to subscribe to the user and waits for approval
 * @param approved     the user pre-approved a subscription request from the contact (RFC 6121 §3.4)
 * @param groups       roster groups, never null
 * @param listed       part of the roster the user sees; false for a row that only remembers a pending
 *                     inbound request or a pre-approval (RFC 6121 §3.1.3: no item is created for those)
 */
public record RosterEntry(String contact, String name, String subscription, boolean askOut, boolean pendingIn,
                          boolean approved, List<String> groups, boolean listed) {

    /** A listed roster item. */
    public RosterEntry(String contact, String name, String subscription, boolean askOut, boolean pendingIn,
                       boolean approved, List<String> groups) {
        this(contact, name, subscription, askOut, pendingIn, approved, groups, true);
    }

    public RosterEntry {
        Objects.requireNonNull(contact, "contact");
        Objects.requireNonNull(subscription, "subscription");
        groups = groups == null ? List.of() : List.copyOf(groups);
    }
}
