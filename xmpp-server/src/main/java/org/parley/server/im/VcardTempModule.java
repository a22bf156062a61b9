package org.parley.server.im;

import org.parley.server.storage.DocumentStore;

/**
 * vcard-temp (XEP-0054) on Parley's {@link DocumentStore}, replacing Vysper's module (which needs JCR and
 * returns the vCard as escaped text). Advertises {@code vcard-temp} in the server's disco#info.
 */
public final class VcardTempModule extends FeatureModule {

    private final VcardTempHandler handler;

    /** @param maxBytes the largest vCard accepted, in bytes of its XML text */
    public VcardTempModule(DocumentStore store, int maxBytes) {
        this(new VcardTempHandler(store, maxBytes));
    }

    private VcardTempModule(VcardTempHandler handler) {
        super("XEP-0054 vcard-temp (Parley)", VcardTempHandler.NS, handler);
        this.handler = handler;
    }

    public VcardTempHandler handler() {
        return handler;
    }
}
