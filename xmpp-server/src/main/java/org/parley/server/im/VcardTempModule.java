package org.parley.server.im;

import java.util.List;

import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServerInfoRequestListener;
import org.apache.vysper.xmpp.protocol.HandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceHandlerDictionary;
import org.parley.server.storage.DocumentStore;

/**
 * vcard-temp (XEP-0054) on Parley's {@link DocumentStore}, replacing Vysper's module (which needs JCR and
 * returns the vCard as escaped text). Advertises {@code vcard-temp} in the server's disco#info.
 */
public final class VcardTempModule extends DefaultDiscoAwareModule implements ServerInfoRequestListener {

    private final VcardTempHandler handler;

    /** @param maxBytes the largest vCard accepted, in bytes of its XML text */
    public VcardTempModule(DocumentStore store, int maxBytes) {
        this.handler = new VcardTempHandler(store, maxBytes);
    }

    public VcardTempHandler handler() {
        return handler;
    }

    @Override
    public String getName() {
        return "XEP-0054 vcard-temp (Parley)";
    }

    @Override
    public String getVersion() {
        return "1.2";
    }

    @Override
    protected void addServerInfoRequestListeners(List<ServerInfoRequestListener> serverInfoRequestListeners) {
        serverInfoRequestListeners.add(this);
    }

    @Override
    public List<InfoElement> getServerInfosFor(InfoRequest request) {
        if (request.getNode() != null && !request.getNode().isEmpty()) {
            return null;
        }
        return List.of(new Feature(VcardTempHandler.NS));
    }

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionary) {
        dictionary.add(new NamespaceHandlerDictionary(VcardTempHandler.NS, handler));
    }
}
