/**
 * The UI-free Parley client core over Smack (TCP, STARTTLS required): {@link org.parley.client.core.ParleyClient}
 * with connection state, reconnection, roster and presence, subscriptions, 1:1 chats with typing states, rooms
 * and history (MAM). Server certificates are checked by {@link org.parley.client.core.CertificateTrust}: the
 * system trust store or a SHA-256 fingerprint the user pinned for that server, never trust-all. Passwords are
 * held in memory for the life of a connection (reconnection needs them) and never written anywhere.
 */
package org.parley.client.core;
