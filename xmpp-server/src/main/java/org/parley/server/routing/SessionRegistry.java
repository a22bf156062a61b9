package org.parley.server.routing;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.state.resourcebinding.ResourceRegistry;
import org.apache.vysper.xmpp.state.resourcebinding.ResourceState;
import org.slf4j.LoggerFactory;

/**
 * Who is connected, under which full JID, with which presence state and priority.
 *
 * <p>Replaces Vysper's registry behaviour (it extends Vysper's class only because Vysper's handlers take
 * that type; none of the parent's state is used). Vysper's registry invents a random resource for every
 * session and keys everything by that globally unique id; Parley honours the resource the client asks
 * for (RFC 6120 §7.7), so two users may both be {@code …/laptop}. Vysper's handlers still look resources
 * up by the bare resource string; they get the registry through the session's runtime, which is scoped to
 * the session's own account ({@link #scopedTo}, {@link UserScopedRuntime}), so such a look-up is explicit
 * about whose resource it means. An unscoped look-up that two accounts could answer is an error
 * ({@link AmbiguousResourceException}), never a guess.
 *
 * <p>Lock-free reads; this class is the seam a cluster-wide registry replaces.
 */
public class SessionRegistry extends ResourceRegistry {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<Entity, List<Binding>> byUser = new ConcurrentHashMap<>();
    private final Map<SessionContext, Binding> bySession = new ConcurrentHashMap<>();
    private final Map<String, List<Binding>> byResource = new ConcurrentHashMap<>();
    private final List<Consumer<Entity>> departureListeners = new CopyOnWriteArrayList<>();
    private final List<BindingListener> bindingListeners = new CopyOnWriteArrayList<>();

    /**
     * Told about every change of a binding, after it happened: how a cluster-wide route table (issue 19)
     * mirrors this node's sessions. Called on the session's own thread, so per session in order.
     */
    public interface BindingListener {
        /** A resource was bound, or a resumed stream (XEP-0198) took an existing one over. */
        void bound(Binding binding);

        /** Its presence state or priority changed. */
        void changed(Binding binding);

        /** It is gone. */
        void unbound(Binding binding);
    }

    /** Adds a {@link BindingListener}. */
    public void onBindingChange(BindingListener listener) {
        bindingListeners.add(listener);
    }

    private void notifyBindings(Binding binding, BiConsumer<BindingListener, Binding> event) {
        for (BindingListener listener : bindingListeners) {
            try {
                event.accept(listener, binding);
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(SessionRegistry.class).error("binding listener failed for {}", binding.fullJid, e);
            }
        }
    }

    /** A bound resource: one session's full JID and its presence state. */
    public static final class Binding {
        private final SessionContext session;
        private final Entity fullJid;
        private volatile ResourceState state = ResourceState.CONNECTED;
        /** Asked for the roster in this session (RFC 6121 §2.1.6); never reset while the session lasts. */
        private volatile boolean interested;
        private volatile int priority;

        Binding(SessionContext session, Entity fullJid) {
            this.session = session;
            this.fullJid = fullJid;
        }

        public SessionContext session() {
            return session;
        }

        public Entity fullJid() {
            return fullJid;
        }

        public ResourceState state() {
            return state;
        }

        public int priority() {
            return priority;
        }

        /** An interested resource (RFC 6121 §2.1.6): it asked for the roster, so it gets roster pushes. */
        public boolean interested() {
            return interested;
        }

        /** Available (sent initial presence) and not of negative priority (RFC 6121 §8.5.2.1.1). */
        public boolean receivesBareJidMessages() {
            return ResourceState.isAvailable(state) && priority >= 0;
        }
    }

    /**
     * The session asked for its roster, so it gets roster pushes from now on (RFC 6121 §2.1.6). Only adds
     * interest: a roster get never changes availability. (Vysper's {@code ResourceState.makeInterested}
     * maps every state but AVAILABLE to CONNECTED_INTERESTED, so a second get turned an available resource
     * into a merely connected one, which then missed subscription requests and presence, RFC 6121 §3.1.3.)
     */
    public void markInterested(SessionContext session) {
        Binding binding = bySession.get(session);
        if (binding != null) {
            synchronized (binding) {
                binding.interested = true;
                binding.state = withInterest(binding.state, true);
            }
        }
    }

    /** {@code state} with the interested flag set as given; UNAVAILABLE has no interested variant. */
    private static ResourceState withInterest(ResourceState state, boolean interested) {
        if (!interested || state == null || state == ResourceState.UNAVAILABLE) {
            return state;
        }
        return ResourceState.isAvailable(state) ? ResourceState.AVAILABLE_INTERESTED : ResourceState.CONNECTED_INTERESTED;
    }

    /** Available resources of a user: those that sent initial presence and not yet unavailable. */
    public List<Binding> availableBindingsOf(Entity user) {
        List<Binding> result = new ArrayList<>();
        for (Binding b : bindingsOf(user)) {
            if (ResourceState.isAvailable(b.state)) {
                result.add(b);
            }
        }
        return result;
    }

    /**
     * Binds {@code resource} (already resourceprep'd; null or empty picks a random one) for the session's
     * authenticated user. The caller resolves conflicts first with {@link #find}.
     */
    public Binding bind(SessionContext session, String resource) {
        Entity user = session.getInitiatingEntity();
        if (user == null) {
            throw new IllegalStateException("session has no authenticated user");
        }
        String chosen = resource == null || resource.isEmpty() ? randomResource() : resource;
        Binding binding = new Binding(session, new EntityImpl(user.getNode(), user.getDomain(), chosen));
        bySession.put(session, binding);
        byUser.computeIfAbsent(user.getBareJID(), k -> new CopyOnWriteArrayList<>()).add(binding);
        byResource.computeIfAbsent(chosen, k -> new CopyOnWriteArrayList<>()).add(binding);
        notifyBindings(binding, BindingListener::bound);
        return binding;
    }

    /**
     * Moves a bound resource to another session, keeping its presence state and priority and firing no
     * departure: a stream resumed on a new connection (XEP-0198 §5) goes on as the same resource.
     */
    public synchronized Optional<Binding> rebind(Entity fullJid, SessionContext newSession) {
        Optional<Binding> found = find(fullJid);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Binding old = found.get();
        Binding moved = new Binding(newSession, old.fullJid);
        moved.state = old.state;
        moved.interested = old.interested;
        moved.priority = old.priority;
        bySession.remove(old.session, old);
        bySession.put(newSession, moved);
        replace(byUser.get(old.fullJid.getBareJID()), old, moved);
        replace(byResource.get(old.fullJid.getResource()), old, moved);
        notifyBindings(moved, BindingListener::bound);
        return Optional.of(moved);
    }

    /**
     * Binds a resource resumed from another node of a cluster (XEP-0198 §5, issue 19) to {@code session}, with
     * the presence state, priority and roster interest it had there; fires no presence and no departure. Null
     * when the resource is bound here already.
     */
    public synchronized Binding adopt(SessionContext session, Entity fullJid, ResourceState state, int priority,
                                      boolean interested) {
        if (find(fullJid).isPresent()) {
            return null;
        }
        Binding binding = new Binding(session, fullJid);
        binding.state = state;
        binding.priority = priority;
        binding.interested = interested;
        bySession.put(session, binding);
        byUser.computeIfAbsent(fullJid.getBareJID(), k -> new CopyOnWriteArrayList<>()).add(binding);
        byResource.computeIfAbsent(fullJid.getResource(), k -> new CopyOnWriteArrayList<>()).add(binding);
        notifyBindings(binding, BindingListener::bound);
        return binding;
    }

    /**
     * Unbinds a session that another node of a cluster resumed (issue 19): the resource lives on there, so
     * there is no departure (no unavailable presence, no leaving rooms).
     */
    public synchronized void handedOff(SessionContext session) {
        Binding binding = session == null ? null : bySession.get(session);
        if (binding != null) {
            remove(binding, false);
        }
    }

    private static void replace(List<Binding> list, Binding old, Binding moved) {
        if (list != null) {
            int i = list.indexOf(old);
            if (i >= 0) {
                list.set(i, moved);
            }
        }
    }

    /** The binding of a full JID, if that resource is online. */
    public Optional<Binding> find(Entity fullJid) {
        if (fullJid == null || !fullJid.isResourceSet()) {
            return Optional.empty();
        }
        for (Binding b : bindingsOf(fullJid)) {
            if (b.fullJid.getResource().equals(fullJid.getResource())) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** Every bound resource of the bare JID of {@code user}. */
    public List<Binding> bindingsOf(Entity user) {
        List<Binding> list = byUser.get(user.getBareJID());
        return list == null ? List.of() : list;
    }

    /** The binding of a session, if it bound a resource. */
    public Optional<Binding> bindingOf(SessionContext session) {
        return Optional.ofNullable(bySession.get(session));
    }

    /** Every bound session. */
    public Collection<Binding> allBindings() {
        return Collections.unmodifiableCollection(bySession.values());
    }

    private static String randomResource() {
        byte[] bytes = new byte[9];
        RANDOM.nextBytes(bytes);
        return "parley-" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * The binding of a resource string, for Vysper's string-keyed look-ups: within {@code user}'s bindings
     * when scoped, else the only account with that resource.
     *
     * @throws AmbiguousResourceException when unscoped and several accounts bound that resource
     */
    private Binding resolve(String resourceId, Entity user) {
        if (resourceId == null) {
            return null;
        }
        if (user != null) {
            for (Binding b : bindingsOf(user)) {
                if (b.fullJid.getResource().equals(resourceId)) {
                    return b;
                }
            }
            return null;
        }
        List<Binding> candidates = byResource.get(resourceId);
        if (candidates == null || candidates.isEmpty()) {
            return null;
        }
        if (candidates.size() > 1) {
            throw new AmbiguousResourceException(resourceId, candidates.size());
        }
        return candidates.get(0);
    }

    private Binding resolve(String resourceId) {
        return resolve(resourceId, null);
    }

    /**
     * This registry as seen by one account's session: every look-up by resource string means that
     * account's resource. Vysper's handlers get it from the session's runtime ({@link UserScopedRuntime}).
     */
    public ResourceRegistry scopedTo(Entity user) {
        return new Scoped(user.getBareJID());
    }

    /** Two accounts bound the same resource and a look-up did not say whose it meant: a programming error. */
    public static final class AmbiguousResourceException extends IllegalStateException {
        public AmbiguousResourceException(String resource, int accounts) {
            super("resource '" + resource + "' is bound by " + accounts
                    + " accounts; look it up through the account's scoped registry");
        }
    }

    /**
     * Calls {@code listener} with the full JID of every resource that stops being present: it sent
     * unavailable presence, or its session ended however it ended (closed stream, lost connection,
     * replaced by a conflicting login). The server then owes unavailable presence to everyone the
     * resource sent directed presence to (RFC 6121 §4.6.3), e.g. its chat rooms.
     */
    public void onDeparture(Consumer<Entity> listener) {
        departureListeners.add(listener);
    }

    private void departed(Entity fullJid) {
        for (Consumer<Entity> listener : departureListeners) {
            try {
                listener.accept(fullJid);
            } catch (RuntimeException e) {
                LoggerFactory.getLogger(SessionRegistry.class).error("departure listener failed for {}", fullJid, e);
            }
        }
    }

    private void remove(Binding binding) {
        remove(binding, true);
    }

    private void remove(Binding binding, boolean departs) {
        boolean removed = bySession.remove(binding.session, binding);
        Entity bare = binding.fullJid.getBareJID();
        byUser.computeIfPresent(bare, (k, list) -> {
            list.remove(binding);
            return list.isEmpty() ? null : list;
        });
        byResource.computeIfPresent(binding.fullJid.getResource(), (k, list) -> {
            list.remove(binding);
            return list.isEmpty() ? null : list;
        });
        if (removed) {
            notifyBindings(binding, BindingListener::unbound);
            if (departs) {
                departed(binding.fullJid);
            }
        }
    }

    // ---- Vysper's ResourceRegistry contract, on Parley's maps ----

    @Override
    public String bindSession(SessionContext sessionContext) {
        return bind(sessionContext, null).fullJid.getResource();
    }

    @Override
    public boolean unbindResource(String resourceId) {
        Binding binding = resolve(resourceId);
        if (binding == null) {
            return false;
        }
        remove(binding);
        return true;
    }

    @Override
    public void unbindSession(SessionContext session) {
        if (session == null) {
            return;
        }
        Binding binding = bySession.get(session);
        if (binding != null) {
            remove(binding);
        }
    }

    @Override
    public String getUniqueResourceForSession(SessionContext session) {
        Binding binding = session == null ? null : bySession.get(session);
        return binding == null ? null : binding.fullJid.getResource();
    }

    @Override
    public List<String> getResourcesForSession(SessionContext session) {
        String resource = getUniqueResourceForSession(session);
        return resource == null ? List.of() : List.of(resource);
    }

    @Override
    public SessionContext getSessionContext(String resourceId) {
        Binding binding = resolve(resourceId);
        return binding == null ? null : binding.session;
    }

    @Override
    protected List<String> getBoundResources(Entity entity) {
        return getBoundResources(entity, true);
    }

    @Override
    public List<String> getBoundResources(Entity entity, boolean considerBareID) {
        if (!considerBareID && entity.isResourceSet()) {
            return find(entity).map(b -> List.of(b.fullJid.getResource())).orElse(List.of());
        }
        List<String> resources = new ArrayList<>();
        for (Binding b : bindingsOf(entity)) {
            resources.add(b.fullJid.getResource());
        }
        return resources;
    }

    @Override
    public List<SessionContext> getSessions(Entity entity) {
        if (entity.isResourceSet()) {
            return find(entity).map(b -> List.of(b.session)).orElse(List.of());
        }
        List<SessionContext> sessions = new ArrayList<>();
        for (Binding b : bindingsOf(entity)) {
            sessions.add(b.session);
        }
        return sessions;
    }

    @Override
    public List<SessionContext> getSessions(Entity entity, Integer prioThreshold) {
        int threshold = prioThreshold == null ? 0 : prioThreshold;
        List<SessionContext> sessions = new ArrayList<>();
        for (Binding b : bindingsOf(entity)) {
            if (b.priority >= threshold) {
                sessions.add(b.session);
            }
        }
        return sessions;
    }

    @Override
    public long getSessionCount() {
        return byUser.size();
    }

    @Override
    public List<SessionContext> getHighestPrioSessions(Entity entity, Integer prioThreshold) {
        if (entity.isResourceSet()) {
            return getSessions(entity);
        }
        int best = prioThreshold == null ? Integer.MIN_VALUE : prioThreshold;
        List<SessionContext> result = new ArrayList<>();
        for (Binding b : bindingsOf(entity)) {
            if (b.priority > best) {
                result.clear();
                best = b.priority;
                result.add(b.session);
            } else if (b.priority == best) {
                result.add(b.session);
            }
        }
        return result;
    }

    @Override
    public boolean setResourceState(String resourceId, ResourceState state) {
        return setResourceState(resolve(resourceId), resourceId, state);
    }

    private boolean setResourceState(Binding binding, String resourceId, ResourceState state) {
        if (binding == null) {
            throw new IllegalArgumentException("resource not registered: " + resourceId);
        }
        boolean changed;
        synchronized (binding) {
            // Vysper derives the new state from the old one (makeAvailable after unavailable drops the
            // interest); interest lasts as long as the session, whatever the presence does.
            ResourceState next = withInterest(state, binding.interested);
            changed = binding.state != next;
            binding.state = next;
        }
        if (changed) {
            notifyBindings(binding, BindingListener::changed);
        }
        if (changed && state == ResourceState.UNAVAILABLE) {
            departed(binding.fullJid);
        }
        return changed;
    }

    @Override
    public ResourceState getResourceState(String resourceId) {
        Binding binding = resolve(resourceId);
        return binding == null ? null : binding.state;
    }

    @Override
    public void setResourcePriority(String resourceId, int priority) {
        Binding binding = resolve(resourceId);
        if (binding != null && binding.priority != priority) {
            binding.priority = priority;
            notifyBindings(binding, BindingListener::changed);
        }
    }

    @Override
    public List<String> getInterestedResources(Entity entity) {
        List<String> result = new ArrayList<>();
        for (Binding b : bindingsOf(entity)) {
            if (b.interested) {
                result.add(b.fullJid.getResource());
            }
        }
        return result;
    }

    @Override
    public List<String> getAvailableResources(Entity entity) {
        List<String> result = new ArrayList<>();
        for (Binding b : bindingsOf(entity)) {
            if (ResourceState.isAvailable(b.state)) {
                result.add(b.fullJid.getResource());
            }
        }
        return result;
    }

    // ---- one account's view ----

    /** Delegates to the registry; resource strings resolve among {@code user}'s own bindings. */
    private final class Scoped extends ResourceRegistry {
        private final Entity user;

        Scoped(Entity user) {
            this.user = user;
        }

        @Override
        public String bindSession(SessionContext sessionContext) {
            return SessionRegistry.this.bindSession(sessionContext);
        }

        @Override
        public boolean unbindResource(String resourceId) {
            Binding binding = resolve(resourceId, user);
            if (binding == null) {
                return false;
            }
            remove(binding);
            return true;
        }

        @Override
        public void unbindSession(SessionContext session) {
            SessionRegistry.this.unbindSession(session);
        }

        @Override
        public String getUniqueResourceForSession(SessionContext session) {
            return SessionRegistry.this.getUniqueResourceForSession(session);
        }

        @Override
        public List<String> getResourcesForSession(SessionContext session) {
            return SessionRegistry.this.getResourcesForSession(session);
        }

        @Override
        public SessionContext getSessionContext(String resourceId) {
            Binding binding = resolve(resourceId, user);
            return binding == null ? null : binding.session;
        }

        @Override
        protected List<String> getBoundResources(Entity entity) {
            return SessionRegistry.this.getBoundResources(entity, true);
        }

        @Override
        public List<String> getBoundResources(Entity entity, boolean considerBareID) {
            return SessionRegistry.this.getBoundResources(entity, considerBareID);
        }

        @Override
        public List<SessionContext> getSessions(Entity entity) {
            return SessionRegistry.this.getSessions(entity);
        }

        @Override
        public List<SessionContext> getSessions(Entity entity, Integer prioThreshold) {
            return SessionRegistry.this.getSessions(entity, prioThreshold);
        }

        @Override
        public long getSessionCount() {
            return SessionRegistry.this.getSessionCount();
        }

        @Override
        public List<SessionContext> getHighestPrioSessions(Entity entity, Integer prioThreshold) {
            return SessionRegistry.this.getHighestPrioSessions(entity, prioThreshold);
        }

        @Override
        public boolean setResourceState(String resourceId, ResourceState state) {
            return SessionRegistry.this.setResourceState(resolve(resourceId, user), resourceId, state);
        }

        @Override
        public ResourceState getResourceState(String resourceId) {
            Binding binding = resolve(resourceId, user);
            return binding == null ? null : binding.state;
        }

        @Override
        public void setResourcePriority(String resourceId, int priority) {
            Binding binding = resolve(resourceId, user);
            if (binding != null) {
                binding.priority = priority;
            }
        }

        @Override
        public List<String> getInterestedResources(Entity entity) {
            return SessionRegistry.this.getInterestedResources(entity);
        }

        @Override
        public List<String> getAvailableResources(Entity entity) {
            return SessionRegistry.this.getAvailableResources(entity);
        }
    }
}
