package org.parley.server.im;

import java.util.List;

import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServerInfoRequestListener;
import org.apache.vysper.xmpp.protocol.HandlerDictionary;
import org.apache.vysper.xmpp.protocol.NamespaceHandlerDictionary;
import org.apache.vysper.xmpp.protocol.StanzaHandler;

/**
 * A Vysper module for one IQ namespace served by one handler, advertised as a feature of the server's
 * disco#info (XEP-0030).
 */
abstract class FeatureModule extends DefaultDiscoAwareModule implements ServerInfoRequestListener {

    private final String name;
    private final String namespace;
    private final StanzaHandler handler;

    FeatureModule(String name, String namespace, StanzaHandler handler) {
        this.name = name;
        this.namespace = namespace;
        this.handler = handler;
    }

    @Override
    public final String getName() {
        return name;
    }

    @Override
    public String getVersion() {
        return "1.0";
    }

    @Override
    protected final void addServerInfoRequestListeners(List<ServerInfoRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    public final List<InfoElement> getServerInfosFor(InfoRequest request) {
        if (request.getNode() != null && !request.getNode().isEmpty()) {
            return null;
        }
        return List.of(new Feature(namespace));
    }

    @Override
    protected final void addHandlerDictionaries(List<HandlerDictionary> dictionaries) {
        dictionaries.add(new NamespaceHandlerDictionary(namespace, handler));
    }
}
