package org.parley.client.core;

/** Told when the roster or a contact's presence changes. */
public interface RosterListener {
    /** Entries were added, changed or removed; re-read {@link ParleyClient#contacts()}. */
    default void rosterChanged() {
    }

    /** A contact's presence changed. */
    default void presenceChanged(Contact contact) {
    }

    /** {@code jid} asks to see our presence: answer with accept/denySubscription. */
    default void subscriptionRequested(String jid) {
    }
}
