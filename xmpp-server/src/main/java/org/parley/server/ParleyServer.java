package org.parley.server;

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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.apache.vysper.storage.OpenStorageProviderRegistry;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.modules.Module;
import org.apache.vysper.xmpp.modules.extension.xep0050_adhoc_commands.AdhocCommandsModule;
import org.apache.vysper.xmpp.modules.extension.xep0092_software_version.SoftwareVersionModule;
import org.apache.vysper.xmpp.modules.extension.xep0119_xmppping.XmppPingModule;
import org.apache.vysper.xmpp.modules.extension.xep0133_service_administration.ServiceAdministrationModule;
import org.apache.vysper.xmpp.modules.extension.xep0202_entity_time.EntityTimeModule;
import org.apache.vysper.xmpp.modules.servicediscovery.ServiceDiscoveryModule;
import org.apache.vysper.xmpp.protocol.SessionStateHolder;
import org.apache.vysper.xmpp.server.DefaultServerRuntimeContext;
import org.apache.vysper.xmpp.server.ServerFeatures;
import org.apache.vysper.xmpp.server.SessionContext;
import org.parley.server.accounts.AccountService;
import org.parley.server.accounts.VysperAccounts;
import org.parley.server.config.ServerSettings;
import org.parley.server.guard.DataDirectory;
import org.parley.server.guard.Guard;
import org.parley.server.im.PrivateXmlModule;
import org.parley.server.im.Registration;
import org.parley.server.im.ServerIdentityModule;
import org.parley.server.im.VcardTempModule;
import org.parley.server.carbons.Carbons;
import org.parley.server.mam.ArchiveHook;
import org.parley.server.mam.MamModule;
import org.parley.server.mam.MessageArchive;
import org.parley.server.muc.MucService;
import org.parley.server.offline.OfflineMessages;
import org.parley.server.pubsub.PepService;
import org.parley.server.pubsub.PubSubComponent;
import org.parley.server.pubsub.PubSubLimits;
import org.parley.server.roster.RosterModule;
import org.parley.server.roster.RosterService;
import org.parley.server.roster.StoredRosterManager;
import org.parley.server.routing.LocalRelay;
import org.parley.server.routing.SerialExecutor;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.sasl.SaslMechanisms;
import org.parley.server.session.ParleySession;
import org.parley.server.sm.Resumption;
import org.parley.server.storage.Storage;
import org.parley.server.storage.jdbc.JdbcStorage;
import org.parley.server.stream.DurableWrites;
import org.parley.server.stream.StanzaDispatcher;
import org.parley.server.stream.StreamEnvironment;
import org.parley.server.stream.StreamErrorCondition;
import org.parley.server.stream.StreamTransport;
import org.parley.server.stream.XmppStream;
import org.parley.server.tls.CertificateManager;
import org.parley.server.tls.ServerCertificate;
import org.parley.server.tls.ServerTls;
import org.parley.server.transport.tcp.ConnectionTracker;
import org.parley.server.transport.tcp.TcpListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.ssl.SslContext;

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
    private final ScheduledExecutorService housekeeping;
    private final Guard guard;
    private TcpListener c2s;
    private TcpListener directTls;
    private volatile boolean closed;

    private ParleyServer(ServerSettings settings, Storage storage, ServerCertificate certificate)
            throws GeneralSecurityException {
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

        ServiceAdministrationModule admin = new ServiceAdministrationModule();
        admin.setAddAdmins(settings.admins());
        List<Module> modules = List.of(
                new ServiceDiscoveryModule(),
                new ServerIdentityModule(settings.registration().enabled()),
                new RosterModule(new RosterService(storage.rosters(), rosterView, registry),
                        registry, user -> storage.accounts().exists(user.getNode()), domain),
                new XmppPingModule(),
                new SoftwareVersionModule(),
                new EntityTimeModule(),
                new VcardTempModule(storage.documents(), 64 * 1024),
                new PrivateXmlModule(storage.documents()),
                new AdhocCommandsModule(),
                admin);
        runtime.addModules(modules);
        MessageArchive archive = null;
        if (settings.mam().enabled()) {
            archive = new MessageArchive(storage.archive(), storage.documents(), Clock.systemUTC(),
                    settings.mam().defaultMode(), (owner, with) -> storage.rosters()
                    .entry(owner.getNode(), with.getFullQualifiedName()).map(e -> e.listed()).orElse(false));
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
        Duration retention = settings.mam().retention();
        if (archive != null && !retention.isZero()) {
            MessageArchive purged = archive;
            housekeeping.scheduleWithFixedDelay(() -> {
                try {
                    int n = purged.purgeOlderThan(retention);
                    if (n > 0) {
                        LOG.info("archive retention: {} messages older than {} deleted", n, retention);
                    }
                } catch (RuntimeException e) {
                    LOG.error("archive retention run failed: {}", e.getMessage());
                }
            }, 1, 60, TimeUnit.MINUTES);
        }
        Carbons carbons = new Carbons(registry, relay);
        runtime.addModule(carbons);
        relay.addHook(carbons);
        PepService pep = new PepService(storage.pubsub(), storage.rosters(), registry, storage.accounts()::exists,
                PubSubLimits.DEFAULTS);
        runtime.addModule(pep);
        registry.onDeparture(pep::departed);
        runtime.addModule(new PubSubComponent("pubsub", storage.pubsub(), storage.rosters(),
                storage.accounts()::exists, PubSubLimits.DEFAULTS));
        if (settings.muc().enabled()) {
            Set<String> admins = Set.copyOf(settings.admins());
            muc = new MucService(settings.muc(), storage.rooms(),
                    user -> admins.contains(user.getFullQualifiedName().toLowerCase(Locale.ROOT)), Clock.systemUTC(),
                    archive);
            runtime.addModule(muc);
            registry.onDeparture(muc::departed);
        } else {
            muc = null;
        }

        guard = new Guard(settings.limits().guard());
        if (muc != null) {
            muc.limitCreation(user -> guard.mayCreateRoom(user.getFullQualifiedName()));
        }
        Registration registration = new Registration(accounts, settings.registration().enabled(),
                settings.registration().perAddressPerHour(), Clock.systemUTC());
        StanzaDispatcher dispatcher = new StanzaDispatcher(runtime);
        dispatcher.observeBroadcastPresence(pep::presence);
        dispatcher.observeServerResponses(pep::response);
        environment = new StreamEnvironment(domain, settings.c2s().starttlsRequired(), settings.limits(),
                new SaslMechanisms(storage.accounts()::credentials, domain, settings.limits().scramIterations()),
                registration, registry, dispatcher, this::endForConflict, this::endSessionsOf,
                new Resumption(housekeeping, settings.sm().resumptionTimeout()),
                archive != null ? archive : DurableWrites.NONE, guard);

        int cores = Runtime.getRuntime().availableProcessors();
        workers = Executors.newFixedThreadPool(Math.max(4, cores * 2), named("parley-worker"));
        boss = new NioEventLoopGroup(1, named("parley-accept"));
        ioWorkers = new NioEventLoopGroup(Math.max(2, cores), named("parley-io"));
        sslContext = ServerTls.nettyServerContext(certificate);
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
            server.listen();
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
        LOG.info("Parley {} serving {} in {} ms", VERSION, settings.domain(),
                Duration.ofNanos(System.nanoTime() - started).toMillis());
        return server;
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
                new SerialExecutor(workers));
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

    /** The certificate presented to clients. */
    public X509Certificate certificate() {
        return certificate.chain()[0];
    }

    /** Key and chain the server presents, for other TLS listeners in the process (the web gateway's HTTPS). */
    public ServerCertificate tlsCertificate() {
        return certificate;
    }

    /** SHA-256 fingerprint of the certificate, for clients to pin. */
    public String certificateFingerprint() {
        return certificate.sha256Fingerprint();
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
        housekeeping.shutdownNow();
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

    private static String versionOf() {
        String v = ParleyServer.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
