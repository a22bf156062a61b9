package org.parley.server.im;

import java.util.ArrayList;
import java.util.List;

import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Feature;
import org.apache.vysper.xmpp.modules.servicediscovery.management.Identity;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServerInfoRequestListener;

/**
 * The server's own disco#info identity ({@code server/im}, XEP-0030 §3.1: every entity has at least one)
 * and the features Parley implements outside Vysper's modules.
 */
public final class ServerIdentityModule extends DefaultDiscoAwareModule implements ServerInfoRequestListener {

    private final java.util.function.BooleanSupplier registrationEnabled;

    public ServerIdentityModule(boolean registrationEnabled) {
        this(() -> registrationEnabled);
    }

    /** @param registrationEnabled asked at each request: registration can be switched at runtime */
    public ServerIdentityModule(java.util.function.BooleanSupplier registrationEnabled) {
        this.registrationEnabled = registrationEnabled;
    }

    @Override
    public String getName() {
        return "Parley server identity";
    }

    @Override
    public String getVersion() {
        return "1.0";
    }

    @Override
    protected void addServerInfoRequestListeners(List<ServerInfoRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    public List<InfoElement> getServerInfosFor(InfoRequest request) {
        if (request.getNode() != null && !request.getNode().isEmpty()) {
            return null;
        }
        List<InfoElement> infos = new ArrayList<>();
        infos.add(new Identity("server", "im", "Parley"));
        infos.add(new Feature("msgoffline")); // XEP-0160
        if (registrationEnabled.getAsBoolean()) {
            infos.add(new Feature("jabber:iq:register")); // XEP-0077
        }
        return infos;
    }
}
