package org.parley.server;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.ssl.SslContext;
import org.apache.vysper.storage.OpenStorageProviderRegistry;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.modules.Module;
import org.apache.vysper.xmpp.modules.extension.xep0119_xmppping.XmppPingModule;
import org.apache.vysper.xmpp.modules.extension.xep0202_entity_time.EntityTimeModule;
import org.apache.vysper.xmpp.modules.servicediscovery.ServiceDiscoveryModule;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.server.DefaultServerRuntimeContext;
import org.apache.vysper.xmpp.server.ServerFeatures;
import org.apache.vysper.xmpp.server.SessionContext;
import org.parley.server.accounts.AccountService;
import org.parley.server.accounts.VysperAccounts;
import org.parley.server.admin.AdminCommands;
import org.parley.server.admin.DisabledAccounts;
import org.parley.server.admin.MessageOfTheDay;
import org.parley.server.admin.ServerAccess;
import org.parley.server.avatar.AvatarSync;
import org.parley.server.blocking.BlockLists;
import org.parley.server.blocking.BlockingModule;
import org.parley.server.bookmarks.BookmarkSync;
import org.parley.server.caps.ServerCaps;
import org.parley.server.carbons.Carbons;
import org.parley.server.config.ServerSettings;
import org.parley.server.devicetokens.DeviceTokenModule;
import org.parley.server.devicetokens.DeviceTokens;
import org.parley.server.guard.DataDirectory;
import org.parley.server.guard.Guard;
import org.parley.server.im.ContactAddressesModule;
import org.parley.server.im.ExternalServicesModule;
import org.parley.server.im.PrivateXmlModule;
import org.parley.server.im.ServerIdentityModule;
import org.parley.server.im.SoftwareVersionModule;
import org.parley.server.im.VcardTempModule;
import org.parley.server.mam.ArchiveHook;
import org.parley.server.mam.ArchiveHousekeeping;
import org.parley.server.mam.MamModule;
import org.parley.server.mam.MessageArchive;
import org.parley.server.metrics.ServerMetrics;
import org.parley.server.muc.MucService;
import org.parley.server.offline.OfflineMessages;
import org.parley.server.parser.StreamErrorCondition;
import org.parley.server.proxy.Socks5ProxyComponent;
import org.parley.server.proxy.Socks5Relay;
import org.parley.server.pubsub.PepService;
import org.parley.server.pubsub.PubSubComponent;
import org.parley.server.pubsub.PubSubLimits;
import org.parley.server.push.PushNotifications;
import org.parley.server.register.Registration;
import org.parley.server.roster.RosterModule;
import org.parley.server.roster.RosterService;
import org.parley.server.roster.StoredRosterManager;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.SerialExecutor;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.sasl.SaslMechanisms;
import org.parley.server.session.ParleySession;
import org.parley.server.session.StreamTransport;
import org.parley.server.sm.Resumption;
import org.parley.server.storage.Storage;
import org.parley.server.storage.jdbc.JdbcStorage;
import org.parley.server.stream.DurableWrites;
import org.parley.server.stream.StanzaDispatcher;
import org.parley.server.stream.StreamEnvironment;
import org.parley.server.stream.XmppStream;
import org.parley.server.tls.CertificateManager;
import org.parley.server.tls.ServerCertificate;
import org.parley.server.tls.ServerTls;
import org.parley.server.transport.tcp.ConnectionTracker;
import org.parley.server.transport.tcp.TcpListener;
import org.parley.server.upload.HttpUploads;
import org.parley.server.upload.UploadComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running XMPP server: Vysper's runtime composed with Parley's routing, storage, SASL and
 * transports. {@link #start} brings everything up; {@link #close} ends every stream cleanly and closes
 * the database.
 */
public final class ParleyServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ParleyServer.class);
    private static final String VERSION = versionOf();

    private final ServerSettings settings;
    private final Storage storage;
    private final ServerCertificate certificate;
    private final SessionRegistry registry;
    private final DefaultServerRuntimeContext runtime;
    private final StreamEnvironment environment;
    private final ExecutorService workers;
    private final EventLoopGroup boss;
    private final EventLoopGroup ioWorkers;
    private final SslContext sslContext;
    private final Set<XmppStream> streams = ConcurrentHashMap.newKeySet();
    private final List<TcpListener> listeners = new ArrayList<>();
    private final AccountService accounts;
    private final MucService muc;
    private final MessageArchive archive;
    private final ArchiveHousekeeping archiveHousekeeping;
    private final HttpUploads uploads;
    private final ScheduledExecutorService housekeeping;
    private final ServerMetrics metrics = new ServerMetrics();
    /** Runs readiness queries against the database, one at a time. */
    private final ExecutorService probes = Executors.newSingleThreadExecutor(named("parley-health"));
    private java.util.concurrent.CompletableFuture<Boolean> storageProbe;
    private final Guard guard;
    private TcpListener c2s;
    private TcpListener directTls;
    private Socks5Relay proxy;
    private org.parley.server.component.ComponentListener components;
    private volatile boolean closed;
    private org.parley.server.cluster.ParleyCluster cluster;
    /** The admin commands' view of the other cluster nodes (issue 19), and what they act on here. */
    private volatile org.parley.server.admin.OtherNodes otherNodes = org.parley.server.admin.OtherNodes.NONE;
    private ServerAccess adminAccess;
    private final BlockLists blockLists;
    private final Carbons carbons;
    private final PepService pep;

    private ParleyServer(ServerSettings settings, Storage storage, ServerCertificate certificate)
            throws GeneralSecurityException, IOException {
        this.settings = settings;
        this.storage = storage;
        this.certificate = certificate;
        String domain = settings.domain();
        Entity serverEntity = new EntityImpl(null, domain, null);
        this.accounts = new AccountService(storage.accounts(), settings.limits().scramIterations());

        registry = new SessionRegistry();
        LocalRelay relay = new LocalRelay(serverEntity, registry, storage.accounts()::exists);
        ServerFeatures features = new ServerFeatures();
        features.setStartTLSRequired(settings.c2s().starttlsRequired());
        runtime = new DefaultServerRuntimeContext(serverEntity, relay, features, List.of(), registry);

        OfflineMessages offline = new OfflineMessages(storage.offline(), domain, settings.limits().offlinePerUser());
        VysperAccounts vysperAccounts = new VysperAccounts(accounts, domain);
        OpenStorageProviderRegistry providers = new OpenStorageProviderRegistry();
        StoredRosterManager rosterView = new StoredRosterManager(storage.rosters());
        providers.add(rosterView);
        providers.add(offline);
        providers.add(vysperAccounts);
        runtime.setStorageProviderRegistry(providers);
        relay.setRuntime(runtime, offline);

        Registration registration = new Registration(accounts, settings.registration().enabled(),
                settings.registration().perAddressPerHour(), Clock.systemUTC());
        // Issue 20: accounts an administrator disabled cannot log in (checked where SASL looks up credentials).
        DisabledAccounts disabled = new DisabledAccounts(storage.documents());
        accounts.onDeleted(disabled::forget);
        PrivateXmlModule privateXml = new PrivateXmlModule(storage.documents());
        privateXml.handler().limitItems(settings.limits().guard().quotas().privateXmlItems());
        // A vCard holds the avatar (XEP-0153) as base64, 4/3 of the image, besides the rest of the card.
        int avatarBytes = settings.limits().avatarBytes();
        VcardTempModule vcards = new VcardTempModule(storage.documents(),
                Math.max(64 * 1024, avatarBytes / 3 * 4 + 16 * 1024));
        List<Module> modules = List.of(
                new ServiceDiscoveryModule(),
                new ServerIdentityModule(registration::enabled),
                new RosterModule(new RosterService(storage.rosters(), rosterView, registry)
                        .withItemLimit(settings.limits().guard().quotas().rosterItems()),
                        registry, user -> storage.accounts().exists(user.getNode()), domain),
                new XmppPingModule(),
                new SoftwareVersionModule(VERSION),
                new EntityTimeModule(),
                vcards,
                privateXml);
        runtime.addModules(modules);
        runtime.addModule(new ContactAddressesModule(settings.contacts()));
        if (!settings.externalServices().servers().isEmpty()) {
            runtime.addModule(new ExternalServicesModule(settings.externalServices(), Clock.systemUTC()));
        }
        MessageArchive archive = null;
        if (settings.mam().enabled()) {
            archive = new MessageArchive(storage.archive(), storage.documents(), Clock.systemUTC(),
                    settings.mam().defaultMode(), (owner, with) -> storage.rosters()
                    .entry(owner.getNode(), with.getFullQualifiedName()).map(e -> e.listed()).orElse(false),
                    sender -> registry.find(sender).map(SessionRegistry.Binding::session).orElse(null));
            runtime.addModule(new MamModule(archive));
            relay.addHook(new ArchiveHook(archive));
        }
        this.archive = archive;
        if (archive != null) {
            MessageArchive a = archive;
            accounts.onDeleted(user -> a.deleteArchiveOf(new EntityImpl(user, domain, null)));
        } else {
            accounts.onDeleted(user -> storage.archive().deleteArchive(user + "@" + domain));
        }
        housekeeping = Executors.newSingleThreadScheduledExecutor(named("parley-housekeeping"));
        // Issue 17: mam.retention and limits.archive-messages-per-account, every 10 minutes.
        archiveHousekeeping = archive == null ? null : new ArchiveHousekeeping(storage.archive(), Clock.systemUTC(),
                settings.mam().retention(), settings.limits().guard().quotas().archiveMessages(), domain);
        if (archiveHousekeeping != null) {
            housekeeping.scheduleWithFixedDelay(archiveHousekeeping, 1, ArchiveHousekeeping.INTERVAL.toMinutes(),
                    TimeUnit.MINUTES);
        }
        // XEP-0191: the relay consults every account's block list before it routes anything.
        blockLists = new BlockLists(storage.blockLists(), domain);
        relay.addGuard(blockLists);
        runtime.addModule(new BlockingModule(blockLists, registry, storage.rosters(), domain,
                settings.mobile().blockListMax()));
        carbons = new Carbons(registry, relay);
        runtime.addModule(carbons);
        relay.addHook(carbons);
        // One set of publish-subscribe limits for PEP and pubsub.<domain> (issue 17: item size from limits).
        PubSubLimits pubSubLimits = PubSubLimits.DEFAULTS.withItemBytes(settings.limits().guard().quotas().pubsubItemBytes())
                .withAccountQuotas(settings.limits().guard().quotas().pubsubItems(),
                        settings.limits().guard().quotas().pubsubNodes());
        pep = new PepService(storage.pubsub(), storage.rosters(), registry, storage.accounts()::exists,
                pubSubLimits);
        runtime.addModule(pep);
        registry.onDeparture(pep::departed);
        BookmarkSync.install(pep, privateXml.handler(), storage.documents());
        AvatarSync avatars = AvatarSync.install(pep, vcards.handler(), storage.documents(), avatarBytes);
        accounts.onDeleted(avatars::forget);
        runtime.addModule(new PubSubComponent("pubsub", storage.pubsub(), storage.rosters(),
                storage.accounts()::exists, pubSubLimits));
        uploads = startUploads(settings, domain);
        if (settings.muc().enabled()) {
            Set<String> admins = Set.copyOf(settings.admins());
            muc = new MucService(settings.muc(), storage.rooms(),
                    user -> admins.contains(user.getFullQualifiedName().toLowerCase(Locale.ROOT)), Clock.systemUTC(),
                    archive);
            runtime.addModule(muc);
            registry.onDeparture(muc::departed);
            muc.keepRoomVcards(storage.documents(), avatarBytes);
        } else {
            muc = null;
        }

        Resumption resumption = new Resumption(housekeeping, settings.sm().resumptionTimeout());
        // XEP-0357: offline accounts and sessions waiting for resumption get push notifications.
        PushNotifications push = new PushNotifications(storage.push(), storage.offline(), storage.pubsub(), domain,
                "pubsub." + domain, settings.mobile().push(), session -> registry.bindingOf(session)
                .map(b -> resumption.isDetached(b.fullJid())).orElse(false));
        runtime.addModule(push);
        relay.addHook(push);
        relay.addGuard(push);
        resumption.onDetached(push::detached);

        guard = new Guard(settings.limits().guard());
        if (muc != null) {
            muc.limitCreation(user -> guard.mayCreateRoom(user.getFullQualifiedName()));
            muc.limitOwnedRooms(settings.limits().guard().quotas().roomsPerAccount());
        }
        DeviceTokens deviceTokens = new DeviceTokens(storage.documents(), Clock.systemUTC());
        runtime.addModule(new DeviceTokenModule(deviceTokens));
        accounts.onPasswordChanged(deviceTokens::revokeAll);
        runtime.registerServerRuntimeContextService(new ServerCaps(runtime)); // XEP-0115 in stream features
        StanzaDispatcher dispatcher = new StanzaDispatcher(runtime);
        dispatcher.observeBroadcastPresence(pep::presence);
        dispatcher.observeServerResponses(pep::response);
        dispatcher.rewritePresence(avatars::withHash);
        environment = new StreamEnvironment(domain, settings.c2s().starttlsRequired(), settings.limits(),
                new SaslMechanisms(user -> disabled.isDisabled(user) ? java.util.Optional.empty()
                        : storage.accounts().credentials(user), domain, settings.limits().scramIterations(),
                        (user, initiator) -> disabled.isDisabled(user) ? java.util.Optional.empty()
                                : deviceTokens.use(user, initiator)),
                registration, registry, dispatcher, this::endForConflict, this::endSessionsOf,
                resumption,
                archive != null ? archive : DurableWrites.NONE, metrics, guard);
        metrics.streams(streams, s -> s.session().transport().kind(),
                s -> s.session().getInitiatingEntity() != null);
        if (muc != null) {
            metrics.gauge("parley.muc.rooms", "Chat rooms that exist", muc, MucService::roomCount);
            metrics.gauge("parley.muc.occupants", "Occupancies: sessions in rooms, counted per room", muc,
                    MucService::occupancyCount);
        }

        installAdministration(domain, disabled, registration, dispatcher);

        int cores = Runtime.getRuntime().availableProcessors();
        workers = Executors.newFixedThreadPool(Math.max(4, cores * 2), named("parley-worker"));
        boss = new NioEventLoopGroup(1, named("parley-accept"));
        ioWorkers = new NioEventLoopGroup(Math.max(2, cores), named("parley-io"));
        sslContext = ServerTls.nettyServerContext(certificate);
        installMetrics(relay);
    }

    /**
     * The meters beyond sessions and stanzas (issue 20): delivery latency, archive commits, offline queue, upload
     * bytes, limit hits, Netty's allocator and event loops, the database pool.
     */
    private void installMetrics(LocalRelay relay) {
        relay.measureDeliveries(metrics);
        if (archive != null) {
            archive.meter(metrics.registry());
        }
        if (uploads != null) {
            uploads.countUploads(metrics::uploaded);
        }
        metrics.limits(Guard.LIMITS);
        guard.countLimitHits(metrics::limitHit);
        // A COUNT(*) over the offline table at most every 30 s, however often Prometheus or the console asks.
        long[] offline = {0, -1};
        metrics.gauge("parley.offline.messages", "Messages stored for offline accounts (RFC 6121 §8.5.2)",
                io.micrometer.core.instrument.Tags.empty(), () -> {
                    synchronized (offline) {
                        long now = System.nanoTime();
                        if (offline[1] < 0 || now - offline[0] > TimeUnit.SECONDS.toNanos(30)) {
                            try {
                                offline[1] = storage.offline().countAll();
                            } catch (RuntimeException e) {
                                return Double.NaN;
                            }
                            offline[0] = now;
                        }
                        return offline[1] < 0 ? Double.NaN : offline[1];
                    }
                });
        metrics.netty(ioWorkers);
        storage.bindMetrics(metrics.registry());
    }

    /** XEP-0050/XEP-0133 and Parley's own admin commands (issue 20), and the message of the day they set. */
    private void installAdministration(String domain, DisabledAccounts disabled, Registration registration,
                                       StanzaDispatcher dispatcher) {
        java.util.function.BiConsumer<Entity, org.apache.vysper.xmpp.stanza.Stanza> send = (to, stanza) -> {
            try {
                runtime.getStanzaRelay().relay(to, stanza,
                        org.apache.vysper.xmpp.delivery.failure.IgnoreFailureStrategy.IGNORE_FAILURE_STRATEGY);
            } catch (org.apache.vysper.xmpp.delivery.failure.DeliveryException e) {
                LOG.debug("admin message to {} not delivered: {}", to, e.toString());
            }
        };
        MessageOfTheDay motd = new MessageOfTheDay(storage.documents(), domain, send);
        dispatcher.observeBroadcastPresence(motd::presence);
        registry.onDeparture(motd::departed);
        ServerAccess access = new ServerAccess(domain, VERSION, java.time.Instant.now(), accounts, disabled, motd,
                registry, () -> streams, muc == null ? null : muc.administration(), registration, metrics,
                guard.auth(), this::certificate, uploads, settings.dataDirectory(), send, () -> otherNodes);
        adminAccess = access;
        runtime.addModule(AdminCommands.of(access, settings.admins()));
    }

    /**
     * XEP-0363 at {@code upload.<domain>}: files under {@code <data-directory>/uploads}, deleted with their
     * account and, with {@code upload.retention}, when they are older than it (checked hourly).
     */
    private HttpUploads startUploads(ServerSettings settings, String domain) throws IOException {
        ServerSettings.Upload u = settings.upload();
        if (!u.enabled()) {
            return null;
        }
        HttpUploads files = HttpUploads.inDirectory(u, settings.dataDirectory().resolve("uploads"), Clock.systemUTC());
        runtime.addModule(new UploadComponent(u.subdomain(), files));
        accounts.onDeleted(user -> files.deleteFilesOf(user + "@" + domain));
        if (!u.retention().isZero()) {
            housekeeping.scheduleWithFixedDelay(() -> {
                try {
                    int n = files.purgeOlderThan(u.retention());
                    if (n > 0) {
                        LOG.info("upload retention: {} files older than {} deleted", n, u.retention());
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.error("upload retention run failed: {}", e.toString());
                }
            }, 1, 60, TimeUnit.MINUTES);
        }
        return files;
    }

    /** Opens storage, loads or generates the certificate, binds the listeners and starts serving. */
    public static ParleyServer start(ServerSettings settings) throws Exception {
        return start(settings, UnaryOperator.identity());
    }

    /**
     * {@link #start(ServerSettings)} with the opened storage passed through {@code storageView} first: for
     * tests that need a store to fail on purpose (the server closes what the view returns).
     */
    public static ParleyServer start(ServerSettings settings, UnaryOperator<Storage> storageView) throws Exception {
        return start(settings, storageView, org.parley.server.config.ClusterSettings.OFF);
    }

    /** {@link #start(ServerSettings)} as a node of a cluster (issue 19) when {@code clusterSettings} enable it. */
    public static ParleyServer start(ServerSettings settings, org.parley.server.config.ClusterSettings clusterSettings)
            throws Exception {
        return start(settings, UnaryOperator.identity(), clusterSettings);
    }

    /** The most general start: storage seen through {@code storageView}, cluster mode per {@code clusterSettings}. */
    public static ParleyServer start(ServerSettings settings, UnaryOperator<Storage> storageView,
                                     org.parley.server.config.ClusterSettings clusterSettings) throws Exception {
        if (clusterSettings.enabled()) {
            // A SettingsException: the command line prints its one line, without a stack trace or "--debug" hint.
            org.parley.server.config.ClusterSettings.requireSharedDatabase(settings.storage().jdbcUrl());
        }
        long started = System.nanoTime();
        StringPrepTables.prepareInBackground();
        DataDirectory.secure(settings.dataDirectory()); // 0700 before anything is written into it (issue 17)
        Storage storage = storageView.apply(JdbcStorage.open(settings.storage(), settings.dataDirectory()));
        ParleyServer server;
        try {
            ServerCertificate certificate = CertificateManager.load(settings.tls(), settings.domain(),
                    settings.dataDirectory());
            server = new ParleyServer(settings, storage, certificate);
        } catch (Exception | Error e) {
            storage.close();
            throw e;
        }
        try {
            if (clusterSettings.enabled()) {
                server.joinCluster(clusterSettings);
            }
            server.listen();
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
        LOG.info("Parley {} serving {} in {} ms", VERSION, settings.domain(),
                Duration.ofNanos(System.nanoTime() - started).toMillis());
        return server;
    }

    /** Starts this node's Hazelcast member and routes across the cluster before any client connects. */
    private void joinCluster(org.parley.server.config.ClusterSettings c) {
        var member = org.parley.server.cluster.ClusterEngine.start(c);
        cluster = new org.parley.server.cluster.ParleyCluster(member, settings.domain(),
                muc == null ? null : settings.muc().subdomain() + "." + settings.domain(), registry, (LocalRelay) runtime.getStanzaRelay(),
                storage.rosters(), muc, this::endForConflict, workers);
        cluster.start();
        // XEP-0198 §5 across nodes: a session resumes on whichever node its client reaches (ClusterResumption).
        new org.parley.server.cluster.ClusterResumption(member, registry, (LocalRelay) runtime.getStanzaRelay(),
                environment.resumption(), workers, housekeeping, settings.limits().guard().resumptionBuffer()).start();
        org.parley.server.cluster.ClusterWide.install(member, guard.auth(), environment.registration(), uploads,
                blockLists, pep);
        org.parley.server.cluster.ClusterWide.carbons(cluster, carbons, workers);
        org.parley.server.cluster.ClusterWide.ownPresence(cluster, registry, (LocalRelay) runtime.getStanzaRelay(),
                runtime.getPresenceCache(), environment.dispatcher(), workers);
        otherNodes = org.parley.server.cluster.ClusterWide.administration(cluster,
                org.parley.server.admin.AdminCommands.local(adminAccess));
    }

    /** This node's part in the cluster, or null when it runs alone. */
    public org.parley.server.cluster.ParleyCluster cluster() {
        return cluster;
    }

    private void listen() throws InterruptedException {
        ServerSettings.C2s c = settings.c2s();
        ServerSettings.Limits l = settings.limits();
        ConnectionTracker tracker = new ConnectionTracker() {
            @Override
            public void opened(XmppStream stream) {
                streams.add(stream);
            }

            @Override
            public void closed(XmppStream stream) {
                streams.remove(stream);
            }
        };
        c2s = bind("c2s.port", c.bindAddress(), c.port(), false, l, tracker);
        if (c.directTlsPort() >= 0) {
            directTls = bind("c2s.direct-tls-port", c.bindAddress(), c.directTlsPort(), true, l, tracker);
        }
        startProxy(settings.mobile().proxy());
        startComponents(settings.components(), l);
    }

    /** XEP-0114: one always-registered component per configured name, and the listener they connect to. */
    private void startComponents(ServerSettings.Components c, ServerSettings.Limits l) throws InterruptedException {
        if (c.port() < 0) {
            return;
        }
        java.util.Map<String, org.parley.server.component.ExternalComponent> byName = new java.util.HashMap<>();
        c.secrets().forEach((name, secret) -> {
            if (runtime.getComponentStanzaProcessor(new EntityImpl(null, name + "." + settings.domain(), null)) != null) {
                throw new IllegalStateException("components.secrets: " + name + "." + settings.domain()
                        + " is a built-in service (chat rooms, pubsub, upload, proxy); choose another name");
            }
            var component = new org.parley.server.component.ExternalComponent(name, secret);
            runtime.addModule(component);
            byName.put(name, component);
        });
        try {
            components = org.parley.server.component.ComponentListener.bind(c.bindAddress(), c.port(), boss,
                    ioWorkers, java.util.Map.copyOf(byName), settings.domain(), l.stanzaBytes(),
                    l.preAuthStanzaBytes(), () -> new SerialExecutor(workers));
        } catch (RuntimeException e) {
            throw new IllegalStateException("components.port: cannot listen on " + c.bindAddress() + ":" + c.port()
                    + ": " + e.getMessage(), e);
        }
    }

    /** The port external components connect to (XEP-0114), or -1 when {@code components.port} is off. */
    public int componentsPort() {
        return components == null ? -1 : components.port();
    }

    /** XEP-0065: the relay on its own port and {@code proxy.<domain>} telling clients where it is. */
    private void startProxy(ServerSettings.Proxy p) throws InterruptedException {
        if (p.port() < 0) {
            return;
        }
        try {
            proxy = Socks5Relay.bind(p.bindAddress(), p.port(), boss, ioWorkers, p.maxBytes(), p.maxDuration(),
                    p.maxTransfers());
        } catch (RuntimeException e) {
            throw new IllegalStateException("proxy.port: cannot listen on " + p.bindAddress() + ":" + p.port() + ": "
                    + e.getMessage(), e);
        }
        String bound = settings.c2s().bindAddress();
        String host = p.host() != null ? p.host()
                : bound.equals("0.0.0.0") || bound.equals("::") ? settings.domain() : bound;
        runtime.addModule(new Socks5ProxyComponent("proxy", proxy, host));
    }

    private TcpListener bind(String key, String host, int port, boolean direct, ServerSettings.Limits l,
                             ConnectionTracker tracker) throws InterruptedException {
        try {
            TcpListener listener = TcpListener.bind(host, port, direct, sslContext, boss, ioWorkers,
                    l.idleTimeout(), l.keepaliveInterval(), this::newStream, tracker, l.guard());
            listeners.add(listener);
            return listener;
        } catch (RuntimeException e) {
            throw new IllegalStateException(key + ": cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** A new stream over any transport (TCP registers it through its {@link ConnectionTracker}). */
    public XmppStream newStream(StreamTransport transport) {
        ParleySession session = new ParleySession(runtime, new SessionStateHolder(), transport,
                new SerialExecutor(workers), metrics);
        session.offerClientState(settings.mobile().csiBuffer()); // XEP-0352
        return new XmppStream(environment, session, transport);
    }

    /**
     * A new stream over a transport that lives outside this server (the web gateway's WebSocket and BOSH),
     * registered like a TCP one (counted, told about shutdown, found for resource conflicts and account
     * removal) until {@link #streamGone}.
     */
    public XmppStream openStream(StreamTransport transport) {
        XmppStream stream = newStream(transport);
        streams.add(stream);
        return stream;
    }

    /** The connection under a stream from {@link #openStream} is gone; forget the stream. */
    public void streamGone(XmppStream stream) {
        streams.remove(stream);
    }

    private void endForConflict(SessionContext old) {
        registry.unbindSession(old);
        for (XmppStream stream : streams) {
            if (stream.session() == old) {
                stream.session().executor().execute(() ->
                        stream.streamError(StreamErrorCondition.CONFLICT, "replaced by a new session"));
            }
        }
    }

    /**
     * Adds a Vysper module to the running server (its handlers, disco entries, services): how features
     * beyond the built-in ones plug in, and how tests install handlers of their own.
     */
    public void addModule(Module module) {
        runtime.addModule(module);
    }

    /** Ends every stream authenticated as {@code user} (e.g. its account was deleted). */
    public void endSessionsOf(Entity user) {
        Entity bare = user.getBareJID();
        for (XmppStream stream : streams) {
            Entity owner = stream.session().getInitiatingEntity();
            if (owner != null && owner.getBareJID().equals(bare)) {
                stream.session().executor().execute(() ->
                        stream.streamError(StreamErrorCondition.NOT_AUTHORIZED, "account removed"));
            }
        }
    }

    public String domain() {
        return settings.domain();
    }

    /** Bound STARTTLS port. */
    public int c2sPort() {
        return c2s.port();
    }

    /** Bound Direct TLS port, -1 when disabled. */
    public int directTlsPort() {
        return directTls == null ? -1 : directTls.port();
    }

    public Path dataDirectory() {
        return settings.dataDirectory();
    }

    public Storage storage() {
        return storage;
    }

    /** Account management on this server's store (same rules as the CLI and in-band registration). */
    public AccountService accounts() {
        return accounts;
    }

    /** The multi-user chat service, or null when {@code muc.enabled} is off. */
    public MucService muc() {
        return muc;
    }

    /** The HTTP file upload service (XEP-0363) for the web gateway, or null when {@code upload.enabled} is off. */
    public HttpUploads uploads() {
        return uploads;
    }

    /** The certificate presented to clients. */
    public X509Certificate certificate() {
        return certificate.chain()[0];
    }

    /** The XMPP listeners' TLS context (BoringSSL or the JDK's provider, see {@link ServerTls}). */
    public SslContext tlsContext() {
        return sslContext;
    }

    /** Key and chain the server presents, for other TLS listeners in the process (the web gateway's HTTPS). */
    public ServerCertificate tlsCertificate() {
        return certificate;
    }

    /** SHA-256 fingerprint of the certificate, for clients to pin. */
    public String certificateFingerprint() {
        return certificate.sha256Fingerprint();
    }

    /** The server's meters (logins, stanzas, sessions, rooms, JVM), for exporters such as the gateway's /metrics. */
    public ServerMetrics metrics() {
        return metrics;
    }

    /**
     * What a load balancer or orchestrator asks before sending users here: each check's name with null when it
     * passes, or a one-line reason. Ready means the client listeners accept connections and the database answers
     * a query within {@code timeout}.
     */
    public java.util.Map<String, String> readiness(Duration timeout) {
        java.util.Map<String, String> checks = new java.util.LinkedHashMap<>();
        checks.put("c2s", closed ? "server stopped" : listeners.stream().allMatch(TcpListener::isOpen) ? null
                : "a client listener is closed");
        checks.put("storage", storageCheck(timeout));
        return checks;
    }

    /** One query on the database, bounded by {@code timeout} (a pool waiting for a dead server waits longer). */
    private String storageCheck(Duration timeout) {
        if (closed) {
            return "server stopped";
        }
        java.util.concurrent.CompletableFuture<Boolean> probe;
        synchronized (probes) { // not this: close() holds this for seconds
            // Probes that arrive while one is still running share it: a hung database costs one thread, not one
            // per health request.
            probe = storageProbe;
            if (probe == null || probe.isDone()) {
                probe = java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> storage.accounts().exists("health-probe"), probes);
                storageProbe = probe;
            }
        }
        try {
            probe.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (java.util.concurrent.TimeoutException e) {
            return "the database did not answer within " + timeout.toMillis() + " ms";
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return "the database failed: " + cause.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return "server stopping";
        }
    }

    /** The archive's retention and per-account cap, run every 10 minutes (tests run it at once); null: no archive. */
    public ArchiveHousekeeping archiveHousekeeping() {
        return archiveHousekeeping;
    }

    /** The abuse protection every transport shares: per-address admission, throttles, deadlines (issue 17). */
    public Guard guard() {
        return guard;
    }

    /** Streams currently open over any transport. */
    public int openStreams() {
        return streams.size();
    }

    public static String version() {
        return VERSION;
    }

    /** Closes every stream (with a system-shutdown stream error), the listeners and the database. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.forEach(TcpListener::close);
        if (proxy != null) {
            proxy.close();
        }
        if (components != null) {
            components.close();
        }
        housekeeping.shutdownNow();
        probes.shutdownNow();
        List<XmppStream> open = List.copyOf(streams); // streams leave the set while this runs
        CountDownLatch ended = new CountDownLatch(open.size());
        for (XmppStream stream : open) {
            stream.session().executor().execute(() -> {
                stream.shutdown();
                ended.countDown();
            });
        }
        try {
            ended.await(5, TimeUnit.SECONDS);
            // XEP-0198 §5: sessions waiting for their client to resume end now, and what they never
            // delivered goes to offline storage while the database is still open.
            environment.resumption().expireAll(Duration.ofSeconds(5));
            if (cluster != null) {
                cluster.close(); // after the streams: their routes are gone and their presence went out
            }
            if (archive != null) {
                archive.close(); // what was queued for the archive is written before the database closes
            }
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            ioWorkers.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            workers.shutdown();
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        guard.close();
        storage.close();
        metrics.close();
        LOG.info("Parley stopped");
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** From {@code parley-server.properties}, which Maven fills in; the jar manifest is the fallback. */
    private static String versionOf() {
        try (java.io.InputStream in = ParleyServer.class.getResourceAsStream("parley-server.properties")) {
            if (in != null) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                String v = p.getProperty("version", "").strip();
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through to the manifest
        }
        String v = ParleyServer.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }
}
