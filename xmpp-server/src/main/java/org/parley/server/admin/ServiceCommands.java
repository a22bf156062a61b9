package org.parley.server.admin;

import static org.parley.server.admin.AdminCommands.AUDIT;
import static org.parley.server.admin.AdminCommands.PARLEY;
import static org.parley.server.admin.AdminCommands.XEP0133;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.MessageStanzaType;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.parley.server.accounts.AccountService;
import org.parley.server.guard.AuthThrottle;
import org.parley.server.metrics.ServerMetrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Announcements and the message of the day (XEP-0133 announce, set-motd, edit-motd, delete-motd), registration on/off, and what the console's
 * dashboard and security page show: Parley's own {@code #stats} and {@code #security}.
 */
final class ServiceCommands {

    /** Walking the data directory for sizes is not repeated more often than this. */
    private static final Duration SIZE_CACHE = Duration.ofSeconds(60);

    /** Characters an announcement's subject may have. */
    private static final int MAX_SUBJECT_CHARS = 200;

    private ServiceCommands() {
    }

    static List<Command> all(ServerAccess s) {
        // This server's cached sizes: {at millis, database bytes, upload bytes, upload files}; null until asked.
        AtomicReference<long[]> sizes = new AtomicReference<>();
        return List.of(
                Commands.of(XEP0133 + "#announce", "Send announcement to online users", admin -> Form.form(
                                "Making an announcement", XEP0133)
                                .text("subject", "Subject", "")
                                .required("announcement", "text-multi", "Announcement"),
                        (admin, v) -> announce(s, v)),
                Commands.of(XEP0133 + "#set-motd", "Set message of the day", admin -> motdForm(s, "Setting the message of the day"),
                        (admin, v) -> setMotd(s, v)),
                Commands.of(XEP0133 + "#edit-motd", "Edit message of the day", admin -> motdForm(s, "Editing the message of the day"),
                        (admin, v) -> setMotd(s, v)),
                Commands.of(XEP0133 + "#delete-motd", "Delete message of the day", null, (admin, v) -> {
                    s.motd().set(null, List.of());
                    s.nodes().get().changed(OtherNodes.Change.MESSAGE_OF_THE_DAY);
                    AUDIT.info("admin action=delete-motd target={}", s.domain());
                    return Command.Result.note("Message of the day deleted.");
                }),
                Commands.of(PARLEY + "#registration", "Registration on or off", admin -> Form.form(
                                "In-band registration (XEP-0077)", PARLEY)
                                .instructions("Until the next restart; the registration.enabled setting decides at start.")
                                .field("enabled", "boolean", "New accounts may sign up", true,
                                        List.of(s.registration().enabled() ? "1" : "0"), Map.of()),
                        (admin, v) -> {
                            boolean on = Command.bool(v, "enabled", "New accounts may sign up");
                            s.registration().setEnabled(on);
                            AUDIT.info("admin action=registration target={} enabled={}", s.domain(), on);
                            return Command.Result.note("Registration is " + (on ? "on" : "off") + ".");
                        }),
                Commands.of(PARLEY + "#stats", "Server statistics", null, (admin, v) -> stats(s, sizes)),
                Commands.of(PARLEY + "#security", "Security overview", null, (admin, v) -> security(s)));
    }

    private static Form motdForm(ServerAccess s, String title) {
        return Form.form(title, XEP0133).field("motd", "text-multi", "Message of the day", true,
                s.motd().text().map(t -> List.of(t.split("\n", -1))).orElse(List.of()), Map.of());
    }

    private static Command.Result setMotd(ServerAccess s, Map<String, List<String>> v) throws Command.Failure {
        String text = Command.text(v, "motd", "Message of the day",
                "Message of the day is required (delete-motd removes it)");
        List<Entity> online = new ArrayList<>();
        for (Commands.SessionInfo i : Commands.sessions(s)) {
            online.add(i.fullJid());
        }
        s.motd().set(text, online);
        s.nodes().get().changed(OtherNodes.Change.MESSAGE_OF_THE_DAY); // they tell their own sessions
        AUDIT.info("admin action=set-motd target={}", s.domain());
        return Command.Result.note("Message of the day set.");
    }

    private static Command.Result announce(ServerAccess s, Map<String, List<String>> v) throws Command.Failure {
        String body = Command.text(v, "announcement", "Announcement", "Announcement is required");
        String subject = Command.optional(v, "subject");
        if (subject != null && subject.length() > MAX_SUBJECT_CHARS) {
            throw Command.Failure.badPayload("Subject is longer than " + MAX_SUBJECT_CHARS + " characters");
        }
        Entity server = new EntityImpl(null, s.domain(), null);
        Set<Entity> users = new HashSet<>();
        for (Commands.SessionInfo i : Commands.sessions(s)) {
            users.add(i.fullJid());
        }
        for (OtherNodes.RemoteSession r : s.nodes().get().sessions()) {
            users.add(r.fullJid()); // routed to the node holding it
        }
        for (Entity to : users) {
            StanzaBuilder m = StanzaBuilder.createMessageStanza(server, to, MessageStanzaType.HEADLINE, null, body);
            if (subject != null && !subject.isEmpty()) {
                m.startInnerElement("subject", "jabber:client").addText(subject).endInnerElement();
            }
            s.send().accept(to, m.build());
        }
        AUDIT.info("admin action=announce target={} sessions={}", s.domain(), users.size());
        return Command.Result.note("Announcement sent to " + users.size() + (users.size() == 1 ? " session." : " sessions."));
    }

    private static Command.Result stats(ServerAccess s, AtomicReference<long[]> cache) {
        MeterRegistry r = s.metrics().registry();
        Form f = Form.result("Server statistics", PARLEY);
        f.fixed("version", "Version", s.version());
        f.fixed("uptime", "Uptime (seconds)", Duration.between(s.started(), Instant.now()).toSeconds());
        for (String transport : ServerMetrics.TRANSPORTS) {
            f.fixed("sessions-" + transport, "Sessions over " + transport, (long) gauge(r, "parley.sessions", "transport", transport));
        }
        f.fixed("logins-success", "Logins", (long) counter(r, "parley.logins", "outcome", "success"));
        f.fixed("logins-failure", "Failed logins", (long) counter(r, "parley.logins", "outcome", "failure"));
        f.fixed("stanzas-in", "Stanzas in", (long) counter(r, "parley.stanzas", "direction", "in"));
        f.fixed("stanzas-out", "Stanzas out", (long) counter(r, "parley.stanzas", "direction", "out"));
        f.fixed("deliveries", "Messages delivered", timerCount(r, "parley.delivery"));
        f.fixed("rooms", "Rooms", (long) gauge(r, "parley.muc.rooms", null, null));
        f.fixed("occupants", "Room occupants", (long) gauge(r, "parley.muc.occupants", null, null));
        f.fixed("archive-writes", "Messages archived", (long) counter(r, "parley.archive.writes", null, null));
        f.fixed("offline-messages", "Messages waiting offline", (long) gauge(r, "parley.offline.messages", null, null));
        long[] size = sizes(s, cache);
        f.fixed("database-bytes", "Database files (bytes)", size[1]);
        f.fixed("upload-bytes", "Uploaded files (bytes)", size[2]);
        f.fixed("upload-files", "Uploaded files", size[3]);
        if (s.uploads() != null) {
            f.fixed("upload-quota", "Upload quota per user (bytes)", s.uploads().settings().quota());
        }
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        f.fixed("heap-used", "Heap used (bytes)", heap.getUsed());
        f.fixed("heap-max", "Heap maximum (bytes)", heap.getMax());
        long collections = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            collections += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        f.fixed("gc-count", "Garbage collections", collections);
        f.fixed("gc-millis", "Time in garbage collection (ms)", gcMillis);
        f.fixed("db-active", "Database connections in use", (long) gauge(r, "hikaricp.connections.active", null, null));
        f.fixed("db-idle", "Database connections idle", (long) gauge(r, "hikaricp.connections.idle", null, null));
        f.fixed("db-pending", "Threads waiting for a database connection", (long) gauge(r, "hikaricp.connections.pending", null, null));
        f.fixed("db-max", "Database pool size", (long) gauge(r, "hikaricp.connections.max", null, null));
        f.fixed("registration", "Registration on", s.registration().enabled() ? "1" : "0");
        clusterStats(s, f);
        return Command.Result.form(f);
    }

    /**
     * Issue 19: the cluster's members, each with the sessions bound there and the rooms it hosts (the fields above
     * are this node's own).
     */
    private static void clusterStats(ServerAccess s, Form f) {
        List<OtherNodes.Member> members = s.nodes().get().members();
        if (members.isEmpty()) {
            return;
        }
        f.fixed("cluster-members", "Cluster members", members.size());
        long sessions = 0;
        long rooms = 0;
        for (int i = 0; i < members.size(); i++) {
            OtherNodes.Member m = members.get(i);
            sessions += m.sessions();
            rooms += m.rooms();
            f.fixed("cluster-node-" + (i + 1), "Node " + (i + 1), m.address() + (m.self() ? " (this node)" : "") + ": "
                    + m.sessions() + " sessions, " + m.rooms() + " rooms");
        }
        f.fixed("cluster-sessions", "Sessions on all nodes", sessions);
        f.fixed("cluster-rooms", "Rooms hosted on all nodes", rooms);
    }

    private static double gauge(MeterRegistry r, String name, String tag, String value) {
        double sum = 0;
        for (Gauge g : (tag == null ? r.find(name) : r.find(name).tag(tag, value)).gauges()) {
            double v = g.value();
            sum += Double.isNaN(v) ? 0 : v;
        }
        return sum;
    }

    private static double counter(MeterRegistry r, String name, String tag, String value) {
        double sum = 0;
        for (Counter c : (tag == null ? r.find(name) : r.find(name).tag(tag, value)).counters()) {
            sum += c.count();
        }
        return sum;
    }

    private static long timerCount(MeterRegistry r, String name) {
        long n = 0;
        for (Timer t : r.find(name).timers()) {
            n += t.count();
        }
        return n;
    }

    /** {at, database bytes, upload bytes, upload files}, refreshed at most every {@link #SIZE_CACHE}. */
    private static long[] sizes(ServerAccess s, AtomicReference<long[]> cache) {
        long[] cached = cache.get();
        long now = System.currentTimeMillis();
        if (cached != null && now - cached[0] < SIZE_CACHE.toMillis()) {
            return cached;
        }
        long database = 0;
        try (Stream<Path> files = Files.list(s.dataDirectory())) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && (name.contains(".db") || name.endsWith(".sqlite") || name.contains("-wal"))) {
                    database += Files.size(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            database = -1;
        }
        long bytes = 0;
        long count = 0;
        Path uploads = s.dataDirectory().resolve("uploads");
        if (Files.isDirectory(uploads)) {
            try (Stream<Path> files = Files.walk(uploads, 4)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(p) && !p.getFileName().toString().endsWith(".meta")) {
                        bytes += Files.size(p);
                        count++;
                    }
                }
            } catch (IOException | RuntimeException e) {
                bytes = -1;
            }
        }
        long[] fresh = {now, database, bytes, count};
        cache.set(fresh);
        return fresh;
    }

    private static Command.Result security(ServerAccess s) {
        Form f = Form.result("Security", PARLEY);
        X509Certificate cert = s.certificate().get();
        f.fixed("cert-subject", "Certificate subject", cert.getSubjectX500Principal().getName());
        f.fixed("cert-issuer", "Certificate issuer", cert.getIssuerX500Principal().getName());
        f.fixed("cert-not-after", "Certificate expires", cert.getNotAfter().toInstant().toString());
        f.fixed("cert-days-left", "Days until it expires",
                Duration.between(Instant.now(), cert.getNotAfter().toInstant()).toDays());
        f.fixed("cert-self-signed", "Self-signed", cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal()) ? "1" : "0");
        AuthThrottle auth = s.auth();
        List<AuthThrottle.Ban> bans = auth.bans();
        f.fixed("bans", "Addresses banned now", bans.size());
        // One table: recent failed logins, then the active bans (kind tells them apart).
        f.columns("kind", "Kind", "at", "Time", "address", "Address", "account", "Account");
        // Bans can be many under a spread-out attack (the count above is the whole); a failed login's account is
        // whatever name the client tried, so it is cut at the longest a user name can be.
        for (AuthThrottle.Ban b : bans.subList(0, Math.min(bans.size(), UserCommands.MAX_ROWS))) {
            f.row("ban", seconds(b.until()), b.address(), "");
        }
        for (AuthThrottle.Failure failure : auth.recentFailures()) {
            String account = failure.account();
            f.row("failure", seconds(failure.at()), failure.address(),
                    account.length() > AccountService.MAX_USERNAME_BYTES
                            ? account.substring(0, AccountService.MAX_USERNAME_BYTES) + "…" : account);
        }
        return Command.Result.form(f);
    }

    /** An instant to the second: the console shows it as it is, and nanoseconds only clutter the table. */
    private static String seconds(Instant at) {
        return at.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
