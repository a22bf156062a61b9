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
 * Private XML storage (XEP-0049) on Parley's {@link DocumentStore}, replacing Vysper's module (which needs
 * JCR and drops the {@code <query/>} wrapper). Advertises {@code jabber:iq:private} in the server's
 * disco#info.
 */
public final class PrivateXmlModule extends DefaultDiscoAwareModule implements ServerInfoRequestListener {

    /** Default cap on one stored fragment; the stream's stanza size limit usually bites first. */
    public static final int DEFAULT_MAX_BYTES = 256 * 1024;

    private final PrivateXmlHandler handler;

    public PrivateXmlModule(DocumentStore store) {
        this(store, DEFAULT_MAX_BYTES);
    }

    /** @param maxBytes the largest fragment accepted, in bytes of its XML text */
    public PrivateXmlModule(DocumentStore store, int maxBytes) {
        this.handler = new PrivateXmlHandler(store, maxBytes);
    }

    public PrivateXmlHandler handler() {
        return handler;
    }

    @Override
    public String getName() {
        return "XEP-0049 Private XML Storage (Parley)";
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
        return List.of(new Feature(PrivateXmlHandler.NS));
    }

    @Override
    protected void addHandlerDictionaries(List<HandlerDictionary> dictionary) {
        dictionary.add(new NamespaceHandlerDictionary(PrivateXmlHandler.NS, handler));
    }
}
