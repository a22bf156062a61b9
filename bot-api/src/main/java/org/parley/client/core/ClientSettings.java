package org.parley.client.core;

import java.util.Objects;

/**
 * Where and as whom a {@link ParleyClient} connects. The password is not part of the settings: it is given to
 * {@link ParleyClient#login(String)} and never stored.
 *
 * @param domain the XMPP domain (the part after {@code @})
 * @param host host to connect to, or null to use the domain (DNS SRV lookups are not made)
 * @param port the STARTTLS client port (5222 by default)
 * @param username the local part of the account
 * @param resource the resource, or null to let the server pick one
 * @param reconnectDelaySeconds fixed delay between reconnection attempts
 */
public record ClientSettings(String domain, String host, int port, String username, String resource,
        int reconnectDelaySeconds) {

    public ClientSettings {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(username, "username");
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port);
        }
        if (reconnectDelaySeconds < 1) {
            throw new IllegalArgumentException("reconnectDelaySeconds: " + reconnectDelaySeconds);
        }
    }

    /** {@code username@domain} on port 5222 of the domain, reconnecting every 5 seconds. */
    public static ClientSettings of(String username, String domain) {
        return new ClientSettings(domain, null, 5222, username, null, 5);
    }

    /** Parses {@code user@domain}. */
    public static ClientSettings of(String jid) {
        int at = jid.indexOf('@');
        if (at <= 0 || at == jid.length() - 1) {
            throw new IllegalArgumentException("not a user@domain address: " + jid);
        }
        String domain = jid.substring(at + 1);
        int slash = domain.indexOf('/');
        return slash < 0 ? of(jid.substring(0, at), domain)
                : of(jid.substring(0, at), domain.substring(0, slash)).withResource(domain.substring(slash + 1));
    }

    public ClientSettings withHost(String host, int port) {
        return new ClientSettings(domain, host, port, username, resource, reconnectDelaySeconds);
    }

    public ClientSettings withResource(String resource) {
        return new ClientSettings(domain, host, port, username, resource, reconnectDelaySeconds);
    }

    public ClientSettings withReconnectDelay(int seconds) {
        return new ClientSettings(domain, host, port, username, resource, seconds);
    }

    /** {@code username@domain}. */
    public String jid() {
        return username + "@" + domain;
    }
}
