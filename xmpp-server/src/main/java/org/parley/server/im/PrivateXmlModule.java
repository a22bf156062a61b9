package org.parley.server.im;

import org.parley.server.storage.DocumentStore;

/**
 * Private XML storage (XEP-0049) on Parley's {@link DocumentStore}, replacing Vysper's module (which needs
 * JCR and drops the {@code <query/>} wrapper). Advertises {@code jabber:iq:private} in the server's
 * disco#info.
 */
public final class PrivateXmlModule extends FeatureModule {

    /** Default cap on one stored fragment; the stream's stanza size limit usually bites first. */
    public static final int DEFAULT_MAX_BYTES = 256 * 1024;

    private final PrivateXmlHandler handler;

    public PrivateXmlModule(DocumentStore store) {
        this(store, DEFAULT_MAX_BYTES);
    }

    /** @param maxBytes the largest fragment accepted, in bytes of its XML text */
    public PrivateXmlModule(DocumentStore store, int maxBytes) {
        this(new PrivateXmlHandler(store, maxBytes));
    }

    private PrivateXmlModule(PrivateXmlHandler handler) {
        super("XEP-0049 Private XML Storage (Parley)", PrivateXmlHandler.NS, handler);
        this.handler = handler;
    }

    public PrivateXmlHandler handler() {
        return handler;
    }
}
