package org.parley.server.sasl;

/**
 * The server side of one SASL authentication attempt (RFC 4422, RFC 6120 §6). Mechanisms hold the state of a
 * single exchange, so a new instance is created for every {@code <auth/>}; they know nothing of XML or
 * sockets, so they can be tested against the RFCs' example exchanges byte by byte.
 */
public interface SaslMechanism {

    /** The registered mechanism name, e.g. {@code SCRAM-SHA-256}. */
    String name();

    /**
     * Begins the exchange.
     *
     * @param initialResponse the decoded initial response of {@code <auth/>}: null when absent, an empty array
     *                        when the client sent "=" (RFC 6120 §6.4.2)
     */
    SaslStep start(byte[] initialResponse);

    /** Continues the exchange with the decoded content of a {@code <response/>}. */
    SaslStep respond(byte[] response);

    /**
     * The (normalised) account name this exchange tried to authenticate as, once known; null before that or
     * when the mechanism carries none. For throttling and logs only: it says nothing of whether it exists.
     */
    default String attemptedUsername() {
        return null;
    }
}
