package org.parley.server.routing;

import java.util.List;

import javax.net.ssl.SSLContext;

import org.apache.vysper.storage.StorageProvider;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.authorization.UserAuthorization;
import org.apache.vysper.xmpp.delivery.StanzaRelay;
import org.apache.vysper.xmpp.modules.Module;
import org.apache.vysper.xmpp.modules.ServerRuntimeContextService;
import org.apache.vysper.xmpp.protocol.StanzaHandler;
import org.apache.vysper.xmpp.protocol.StanzaProcessor;
import org.apache.vysper.xmpp.server.ServerFeatures;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.components.Component;
import org.apache.vysper.xmpp.server.s2s.XMPPServerConnectorRegistry;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.state.presence.LatestPresenceCache;
import org.apache.vysper.xmpp.state.resourcebinding.ResourceRegistry;

/**
 * The server's runtime as one authenticated session sees it: everything is the server's, except that the
 * resource registry is {@linkplain SessionRegistry#scopedTo scoped} to the session's account. Vysper's
 * handlers look resources up by the bare resource string; with this runtime handed to them (as the
 * handler argument and as the session's own runtime) the account is passed explicitly, not through a
 * thread-local that an asynchronous hop would lose.
 */
public final class UserScopedRuntime implements ServerRuntimeContext {

    private final ServerRuntimeContext server;
    private final ResourceRegistry registry;
    private final Entity user;

    /** The server's runtime scoped to {@code user}'s bare JID; unscoped when its registry is not Parley's. */
    public static ServerRuntimeContext of(ServerRuntimeContext server, Entity user) {
        ServerRuntimeContext base = server instanceof UserScopedRuntime scoped ? scoped.server : server;
        if (user == null || !(base.getResourceRegistry() instanceof SessionRegistry sessions)) {
            return base;
        }
        return new UserScopedRuntime(base, sessions.scopedTo(user), user.getBareJID());
    }

    private UserScopedRuntime(ServerRuntimeContext server, ResourceRegistry registry, Entity user) {
        this.server = server;
        this.registry = registry;
        this.user = user;
    }

    /** The account this runtime is scoped to (bare JID). */
    public Entity user() {
        return user;
    }

    @Override
    public ResourceRegistry getResourceRegistry() {
        return registry;
    }

    // ---- everything else is the server's ----

    @Override
    public StanzaHandler getHandler(Stanza stanza) {
        return server.getHandler(stanza);
    }

    @Override
    public String getNextSessionId() {
        return server.getNextSessionId();
    }

    @Override
    public Entity getServerEnitity() {
        return server.getServerEnitity();
    }

    @Override
    public String getDefaultXMLLang() {
        return server.getDefaultXMLLang();
    }

    @Override
    public StanzaProcessor getStanzaProcessor() {
        return server.getStanzaProcessor();
    }

    @Override
    public StanzaRelay getStanzaRelay() {
        return server.getStanzaRelay();
    }

    @Override
    public ServerFeatures getServerFeatures() {
        return server.getServerFeatures();
    }

    @Override
    public SSLContext getSslContext() {
        return server.getSslContext();
    }

    @Override
    public UserAuthorization getUserAuthorization() {
        return server.getUserAuthorization();
    }

    @Override
    public LatestPresenceCache getPresenceCache() {
        return server.getPresenceCache();
    }

    @Override
    public void registerServerRuntimeContextService(ServerRuntimeContextService service) {
        server.registerServerRuntimeContextService(service);
    }

    @Override
    public ServerRuntimeContextService getServerRuntimeContextService(String name) {
        return server.getServerRuntimeContextService(name);
    }

    @Override
    public StorageProvider getStorageProvider(Class<? extends StorageProvider> clazz) {
        return server.getStorageProvider(clazz);
    }

    @Override
    public void registerComponent(Component component) {
        server.registerComponent(component);
    }

    @Override
    public StanzaProcessor getComponentStanzaProcessor(Entity entity) {
        return server.getComponentStanzaProcessor(entity);
    }

    @Override
    public XMPPServerConnectorRegistry getServerConnectorRegistry() {
        return server.getServerConnectorRegistry();
    }

    @Override
    public List<Module> getModules() {
        return server.getModules();
    }

    @Override
    public <T> T getModule(Class<T> clazz) {
        return server.getModule(clazz);
    }
}
