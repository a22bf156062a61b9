package org.parley.server.sasl;

import java.util.Locale;

/**
 * The SASL failure conditions of RFC 6120 §6.5, each sent as a child element of {@code <failure/>}.
 * Kept transport-independent so mechanisms can be tested without an XMPP stream.
 */
public enum SaslFailure {
    /** §6.5.1: the client aborted the exchange. */
    ABORTED,
    /** §6.5.2 */
    ACCOUNT_DISABLED,
    /** §6.5.3 */
    CREDENTIALS_EXPIRED,
    /** §6.5.4: the mechanism may only be used over TLS. */
    ENCRYPTION_REQUIRED,
    /** §6.5.5: the base64 of the XML element was invalid. */
    INCORRECT_ENCODING,
    /** §6.5.6: the authorization identity is not one the user may act as. */
    INVALID_AUTHZID,
    /** §6.5.7 */
    INVALID_MECHANISM,
    /** §6.5.8: the mechanism's message could not be parsed. */
    MALFORMED_REQUEST,
    /** §6.5.9 */
    MECHANISM_TOO_WEAK,
    /** §6.5.10: wrong credentials (deliberately also used for unknown users). */
    NOT_AUTHORIZED,
    /** §6.5.11 */
    TEMPORARY_AUTH_FAILURE;

    /** The XML element name, e.g. {@code not-authorized}. */
    public String elementName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
