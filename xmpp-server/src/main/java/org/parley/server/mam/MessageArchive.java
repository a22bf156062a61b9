package org.parley.server.mam;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.config.ServerSettings.Mam.Mode;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.retract.Retraction;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.ArchiveStore;
import org.parley.server.storage.DocumentStore;
import org.parley.server.storage.StorageException;
import org.parley.server.stream.DurableWrites.Mark;
import org.parley.server.stream.DurableWrites;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Message Archive Management (XEP-0313, {@code urn:xmpp:mam:2} and {@code :1}) over an {@link ArchiveStore}:
 * what is archived for whom (XEP-0313 §6 preferences), the stable ids stamped on archived messages
 * (XEP-0359), and answering archive queries with XEP-0059 paging — for user archives and room archives alike.
 */
public final class MessageArchive implements AutoCloseable, DurableWrites {

    public static final String MAM2 = "urn:xmpp:mam:2";
    public static final String MAM1 = "urn:xmpp:mam:1";
    static final String SID = "urn:xmpp:sid:0";
    static final String RSM = "http://jabber.org/protocol/rsm";
    static final String FORWARD = "urn:xmpp:forward:0";
    static final String DELAY = "urn:xmpp:delay";
    static final String DATA = "jabber:x:data";
    static final String PREFS_KEY = "mam-prefs";
    /** The largest page a client may ask for; bigger requests are cut to it (XEP-0059 §2.2 allows that). */
    static final int MAX_PAGE = 250;

    private static final Logger LOG = LoggerFactory.getLogger(MessageArchive.class);

    private final ArchiveStore store;
    private final ArchiveWriter writer;
    private final DocumentStore documents;
    private final Clock clock;
    private final Mode defaultMode;
    private final BiPredicate<Entity, Entity> inRoster;
    /** Preferences by account: read once, then on every message from memory (they change rarely, here only). */
    private final java.util.concurrent.ConcurrentHashMap<String, Preferences> preferences =
            new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * The writer tickets queued on behalf of each sending session since its stream last took them
     * ({@link #takeMark}), passed explicitly as the session that sent the stanza. Weak keys: a session that
     * ends with a mark nobody takes (its stanza was routed by something other than its stream) leaves nothing.
     */
    private final Map<SessionContext, Mark> untaken = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    /** The session of a local user's full JID, if bound: whose stanza a write is for. */
    private final Function<Entity, SessionContext> origins;

    /**
     * @param inRoster whether the second bare JID is in the roster of the first (for the {@code roster} mode)
     */
    public MessageArchive(ArchiveStore store, DocumentStore documents, Clock clock, Mode defaultMode,
                          BiPredicate<Entity, Entity> inRoster) {
        this(store, documents, clock, defaultMode, inRoster, sender -> null);
    }

    /**
     * @param origins the bound session of a local user's full JID, or null: an acknowledgement that session's
     *                stream sends (XEP-0198) waits for the writes made for the stanzas it sent
     */
    public MessageArchive(ArchiveStore store, DocumentStore documents, Clock clock, Mode defaultMode,
                          BiPredicate<Entity, Entity> inRoster, Function<Entity, SessionContext> origins) {
        this.origins = origins;
        this.store = store;
        this.writer = new ArchiveWriter(store);
        this.documents = documents;
        this.clock = clock;
        this.defaultMode = defaultMode;
        this.inRoster = inRoster;
    }

    /** How far back in a conversation a 1:1 retraction looks for the message it names. */
    static final int RETRACT_LOOKBACK = 1000;
    /** Tombstones waiting to be written; beyond this a retraction is relayed but not applied to the archive. */
    static final int RETRACT_QUEUE = 10_000;

    /**
     * Turns retracted messages into tombstones (XEP-0424 §6) off the routing path: after the writer has
     * stored the original, on one thread, so a query that waits for it sees them all.
     */
    private final java.util.concurrent.ThreadPoolExecutor tombstones = new java.util.concurrent.ThreadPoolExecutor(
            1, 1, 0, java.util.concurrent.TimeUnit.MILLISECONDS,
            new java.util.concurrent.ArrayBlockingQueue<>(RETRACT_QUEUE), r -> {
                Thread t = new Thread(r, "parley-archive-retractions");
                t.setDaemon(true);
                return t;
            }, (r, pool) -> LOG.warn("retraction queue full; a retracted message stays in the archive"));

    /**
     * Meters for the archive writer: {@code parley.archive.writes} (messages committed) and
     * {@code parley.archive.commit} (seconds per group commit, a histogram).
     */
    public void meter(io.micrometer.core.instrument.MeterRegistry registry) {
        writer.commits = io.micrometer.core.instrument.Timer.builder("parley.archive.commit")
                .description("Time of one archive commit (a batch of messages, group commit)")
                .serviceLevelObjectives(org.parley.server.metrics.ServerMetrics.LATENCY_BUCKETS).register(registry);
        writer.writes = io.micrometer.core.instrument.Counter.builder("parley.archive.writes")
                .description("Messages written to the archive (XEP-0313)").register(registry);
    }

    /** A fresh XEP-0359 stanza id: unique, unpredictable, stable once stored. */
    public static String newId() {
        return UUID.randomUUID().toString();
    }

    /** Whether a message belongs in an archive at all: chat or normal with a body (XEP-0313 §5.1.1). */
    static boolean archivable(Stanza message) {
        String type = message.getAttributeValue("type");
        if (type != null && !type.equals("chat") && !type.equals("normal")) {
            return false;
        }
        // A retraction is archived even without a fallback body: clients that were offline learn of it
        // from the archive (XEP-0424 §7).
        return (!message.getInnerElementsNamed("body", NamespaceURIs.JABBER_CLIENT).isEmpty()
                || Retraction.retractedId(message) != null)
                && message.getInnerElementsNamed("no-store", "urn:xmpp:hints").isEmpty();
    }

    /**
     * The account is gone: its archive and cached preferences go too, so that someone who registers the
     * name later never sees the earlier owner's conversations. Entries still queued are written first, so
     * none is left behind.
     */
    public void deleteArchiveOf(Entity owner) {
        String bare = owner.getBareJID().getFullQualifiedName();
        try {
            writer.awaitWritten();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        preferences.remove(owner.getNode());
        try {
            store.deleteArchive(bare);
        } catch (StorageException e) {
            LOG.error("archive of {} could not be deleted: {}", bare, e.getMessage());
        }
    }

    /**
     * Archives a 1:1 message in {@code owner}'s archive when the owner's preferences allow it.
     *
     * @return the stored message's id, or null when it was not archived
     */
    String archiveForUser(Entity owner, Entity with, Stanza message, Entity sender) {
        return archiveForUser(owner, with, message, sender, null);
    }

    /** As above, storing {@code rendered} (the message's XML, already serialised once) when not null. */
    String archiveForUser(Entity owner, Entity with, Stanza message, Entity sender, String rendered) {
        if (!wanted(owner.getBareJID(), with.getBareJID())) {
            return null;
        }
        String id = newId();
        append(owner.getBareJID().getFullQualifiedName(), id, with.getBareJID().getFullQualifiedName(), message,
                rendered, sender);
        return id;
    }

    /**
     * As {@link #archiveForUser}, for the sender's copy: the message is rendered only when the owner's preferences
     * keep it (not on every delivery while archiving is off), and that XML is returned for the recipient's copy.
     *
     * @return the XML stored, or null when the message was not archived
     */
    String archiveRenderedForUser(Entity owner, Entity with, Stanza message, Entity sender) {
        if (!wanted(owner.getBareJID(), with.getBareJID())) {
            return null;
        }
        String xml = new Renderer(message).getComplete();
        append(owner.getBareJID().getFullQualifiedName(), newId(), with.getBareJID().getFullQualifiedName(), message,
                xml, sender);
        return xml;
    }

    /**
     * Room for a message in the writer's queue (bounded in entries and bytes): waits at most
     * {@link ArchiveWriter#ADMIT_WAIT_MILLIS} while the writer catches up. False: the queue stays full, and the
     * caller refuses the message with {@code resource-constraint} (type wait, RFC 6120 §8.3.3.18) before
     * delivering it. Refusing loses nothing — the sender is told and may send again — where delivering it
     * unarchived would lose its archive copy silently, and waiting without end would hold a worker thread.
     */
    public boolean admit() {
        try {
            return writer.admit(ArchiveWriter.ADMIT_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * XEP-0424 in a 1:1 conversation: in {@code owner}'s archive, the message {@code author} sent with this
     * origin-id (or id), among the newest {@link #RETRACT_LOOKBACK} of the conversation with {@code with},
     * becomes a tombstone. Applied asynchronously, in order with the archive writes.
     */
    void retractForUser(Entity owner, Entity author, Entity with, String id) {
        String archive = owner.getBareJID().getFullQualifiedName();
        String authorBare = author.getBareJID().getFullQualifiedName();
        String withBare = with.getBareJID().getFullQualifiedName();
        Instant stamp = clock.instant();
        tombstones.execute(() -> {
            awaitWriter();
            String before = null;
            for (int seen = 0; seen < RETRACT_LOOKBACK; ) {
                ArchiveStore.Page page = store.page(new ArchiveStore.Filter(archive, withBare, null, null),
                        new ArchiveStore.Paging(null, before, before == null, MAX_PAGE));
                List<ArchiveStore.Entry> entries = page.entries();
                for (int i = entries.size() - 1; i >= 0; i--) {
                    ArchiveStore.Entry entry = entries.get(i);
                    Stanza stored = parseQuietly(entry.stanza());
                    Entity from = stored == null ? null : stored.getFrom();
                    if (stored != null && from != null && authorBare.equals(from.getBareJID().getFullQualifiedName())
                            && Retraction.retractedId(stored) == null && !Retraction.isTombstone(stored)
                            && Retraction.isNamedBy(stored, id)) {
                        store.replace(archive, entry.id(),
                                new Renderer(Retraction.tombstone(stored, stamp, null, null)).getComplete());
                        return;
                    }
                }
                seen += entries.size();
                if (entries.isEmpty() || page.complete()) {
                    return;
                }
                before = entries.get(0).id();
            }
        });
    }

    /**
     * XEP-0424/0425 in a room: the room message with this stanza-id becomes a tombstone, naming the
     * moderator and reason when a moderator retracted it. Asynchronous like {@link #retractForUser}.
     */
    public void retractInRoom(Entity room, String id, String moderatedBy, String reason) {
        String archive = room.getBareJID().getFullQualifiedName();
        Instant stamp = clock.instant();
        tombstones.execute(() -> {
            awaitWriter();
            store.entry(archive, id).ifPresent(entry -> {
                Stanza stored = parseQuietly(entry.stanza());
                if (stored != null && !Retraction.isTombstone(stored)) {
                    store.replace(archive, id,
                            new Renderer(Retraction.tombstone(stored, stamp, moderatedBy, reason)).getComplete());
                }
            });
        });
    }

    /** The archived room message with this stanza-id, once what was queued before is written. */
    public java.util.Optional<Stanza> roomMessage(Entity room, String id) {
        awaitWriter();
        return store.entry(room.getBareJID().getFullQualifiedName(), id).map(e -> parseQuietly(e.stanza()));
    }

    private void awaitWriter() {
        try {
            writer.awaitWritten();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits (bounded) until the retractions queued so far are applied: a query then never shows a retracted body. */
    private void awaitRetractions() {
        try {
            tombstones.submit(() -> { }).get(ArchiveWriter.WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                 | java.util.concurrent.RejectedExecutionException e) {
            LOG.warn("archive query answered before the retractions queued were applied: {}", e.toString());
        }
    }

    private static Stanza parseQuietly(String xml) {
        try {
            return StanzaParsing.parse(xml);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Archives a room message under the room's JID, with the id already stamped on what was broadcast;
     * {@code sender} is the occupant's real full JID, whose stream acknowledges it once stored.
     */
    public void archiveForRoom(Entity room, String id, Entity occupant, Stanza message, Entity sender) {
        append(room.getBareJID().getFullQualifiedName(), id, occupant.getFullQualifiedName(), message, null, sender);
    }

    private void append(String archive, String id, String with, Stanza message, String rendered, Entity sender) {
        long ticket;
        try {
            ticket = writer.append(archive, new ArchiveStore.Entry(id, with, clock.instant(),
                    rendered != null ? rendered : new Renderer(message).getComplete()));
        } catch (ArchiveWriter.QueueFullException e) {
            // Beyond even the slack left for admitted messages: refused before delivery (the relay answers
            // resource-constraint), never queued and then dropped.
            throw new org.parley.server.routing.RefusedException(StanzaErrorCondition.RESOURCE_CONSTRAINT,
                    "the message archive is overloaded; try again later");
        }
        SessionContext origin = sender == null ? null : origins.apply(sender);
        if (origin != null) {
            Mark mark = new Mark(ticket, ticket);
            untaken.merge(origin, mark, Mark::through);
        }
    }

    @Override
    public Mark takeMark(SessionContext origin) {
        Mark mark = untaken.remove(origin);
        return mark == null ? Mark.NONE : mark;
    }

    @Override
    public CompletableFuture<Boolean> whenStored(Mark mark) {
        if (mark.isEmpty()) {
            return CompletableFuture.completedFuture(true);
        }
        return writer.whenStored(mark.first(), mark.last());
    }

    /** Test hook: holds the writer before each batch (a slow database, made deterministic). */
    void holdWriter(ArchiveWriter.Gate gate) {
        writer.gate(gate);
    }

    /** Entries queued and not yet written (tests). */
    int backlog() {
        return writer.backlog();
    }

    /** The message with the archive's {@code <stanza-id/>} added and any claimed by the sender removed (XEP-0359 §4). */
    public static Stanza stamped(Stanza message, Entity by, String id) {
        if (id == null && !claimsId(message, by)) {
            return message; // the common case: nothing to remove, nothing to add, no copy
        }
        String byJid = by.getFullQualifiedName();
        StanzaBuilder b = copyWithout(message, e -> isStanzaId(e) && byJid.equals(e.getAttributeValue("by")));
        if (id != null) {
            b.startInnerElement("stanza-id", SID).addAttribute("id", id).addAttribute("by", byJid).endInnerElement();
        }
        return b.build();
    }

    /**
     * The message without any XEP-0359 {@code <stanza-id/>}, whoever it names: what a room does with an
     * occupant's message before stamping its own (§4); the message itself when it carries none.
     */
    public static Stanza withoutStanzaIds(Stanza message) {
        if (message.getInnerElementsNamed("stanza-id", SID).isEmpty()) {
            return message;
        }
        return copyWithout(message, MessageArchive::isStanzaId).build();
    }

    private static boolean isStanzaId(XMLElement e) {
        return SID.equals(e.getNamespaceURI()) && "stanza-id".equals(e.getName());
    }

    /** A builder holding the message's attributes and its child elements but those {@code dropped}. */
    private static StanzaBuilder copyWithout(Stanza message, java.util.function.Predicate<XMLElement> dropped) {
        StanzaBuilder b = new StanzaBuilder(message.getName(), message.getNamespaceURI(), message.getNamespacePrefix());
        for (Attribute a : message.getAttributes()) {
            b.addAttribute(a);
        }
        for (XMLElement e : message.getInnerElements()) {
            if (!dropped.test(e)) {
                b.addPreparedElement(e);
            }
        }
        return b;
    }

    private static boolean claimsId(Stanza message, Entity by) {
        String byJid = by.getFullQualifiedName();
        for (XMLElement e : message.getInnerElementsNamed("stanza-id", SID)) {
            if (byJid.equals(e.getAttributeValue("by"))) {
                return true;
            }
        }
        return false;
    }

    private boolean wanted(Entity owner, Entity with) {
        Preferences prefs = preferences(owner);
        String withJid = with.getFullQualifiedName();
        if (prefs.never().contains(withJid)) {
            return false;
        }
        if (prefs.always().contains(withJid)) {
            return true;
        }
        return switch (prefs.mode()) {
            case ALWAYS -> true;
            case NEVER -> false;
            case ROSTER -> inRoster.test(owner, with);
        };
    }

    // ---------------------------------------------------------------- preferences (§6)

    record Preferences(Mode mode, List<String> always, List<String> never) {
    }

    Preferences preferences(Entity owner) {
        return preferences.computeIfAbsent(owner.getNode(), user -> documents.get(user, PREFS_KEY)
                .map(xml -> parsePreferences(StanzaParsing.parse(xml)))
                .orElse(new Preferences(defaultMode, List.of(), List.of())));
    }

    private Preferences parsePreferences(XMLElement prefs) {
        Mode mode = defaultMode;
        String value = prefs.getAttributeValue("default");
        if (value != null) {
            for (Mode m : Mode.values()) {
                if (m.name().equalsIgnoreCase(value)) {
                    mode = m;
                }
            }
        }
        return new Preferences(mode, jids(prefs, "always"), jids(prefs, "never"));
    }

    private static List<String> jids(XMLElement prefs, String list) {
        List<String> jids = new ArrayList<>();
        for (XMLElement l : prefs.getInnerElements()) {
            if (l.getName().equals(list)) {
                for (XMLElement jid : l.getInnerElements()) {
                    if (jid.getName().equals("jid") && jid.getInnerText() != null) {
                        jids.add(jid.getInnerText().getText().strip());
                    }
                }
            }
        }
        return jids;
    }

    /** Answers a {@code <prefs/>} get or set (XEP-0313 §6.1). */
    Stanza preferencesRequest(Stanza iq, XMLElement prefs, boolean set) {
        Entity owner = iq.getFrom().getBareJID();
        String ns = prefs.getNamespaceURI();
        Preferences p;
        if (set) {
            String mode = prefs.getAttributeValue("default");
            if (mode == null || !List.of("always", "roster", "never").contains(mode)) {
                return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "default must be always, roster or never");
            }
            p = parsePreferences(prefs);
            documents.put(owner.getNode(), PREFS_KEY, new Renderer(renderPreferences(null, p, ns)).getComplete());
            preferences.put(owner.getNode(), p);
        } else {
            p = preferences(owner);
        }
        return renderPreferences(iq, p, ns);
    }

    private static Stanza renderPreferences(Stanza iq, Preferences p, String ns) {
        StanzaBuilder b = iq == null ? new StanzaBuilder("prefs", ns) : StanzaErrors.result(iq).startInnerElement("prefs", ns);
        b.addAttribute("default", p.mode().name().toLowerCase(java.util.Locale.ROOT));
        for (String list : List.of("always", "never")) {
            b.startInnerElement(list, ns);
            for (String jid : list.equals("always") ? p.always() : p.never()) {
                b.startInnerElement("jid", ns).addText(jid).endInnerElement();
            }
            b.endInnerElement();
        }
        if (iq != null) {
            b.endInnerElement();
        }
        return b.build();
    }

    // ---------------------------------------------------------------- queries (§4)

    /**
     * Answers an archive query: the matching messages are sent with {@code send} as {@code <result/>}
     * messages from {@code archiveJid}, and the returned IQ result closes the query with {@code <fin/>}.
     */
    public Stanza query(Stanza iq, XMLElement query, Entity archiveJid, Consumer<Stanza> send) {
        String ns = query.getNamespaceURI();
        if ("get".equals(iq.getAttributeValue("type"))) {
            return form(iq, ns);
        }
        String with = null;
        Instant start = null;
        Instant end = null;
        XMLElement x = child(query, "x", DATA);
        if (x != null) {
            for (Map.Entry<String, String> field : fields(x).entrySet()) {
                String v = field.getValue();
                try {
                    switch (field.getKey()) {
                        case "FORM_TYPE" -> {
                            if (!v.equals(ns)) {
                                return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "FORM_TYPE must be " + ns);
                            }
                        }
                        case "with" -> with = EntityImpl.parse(v).getFullQualifiedName();
                        case "start" -> start = OffsetDateTime.parse(v).toInstant();
                        case "end" -> end = OffsetDateTime.parse(v).toInstant();
                        default -> {
                            // §4.1.1: an unknown field is an error, so the client does not think it filtered.
                            return StanzaErrors.error(iq, StanzaErrorCondition.FEATURE_NOT_IMPLEMENTED,
                                    "unknown filter field " + field.getKey());
                        }
                    }
                } catch (DateTimeParseException e) {
                    return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, field.getKey() + " is not a date-time");
                } catch (Exception e) {
                    return StanzaErrors.error(iq, StanzaErrorCondition.JID_MALFORMED, "with is not a JID");
                }
            }
        }
        XMLElement set = child(query, "set", RSM);
        int max = MAX_PAGE;
        String after = null;
        String before = null;
        boolean lastPage = false;
        if (set != null) {
            String maxText = text(child(set, "max", RSM));
            if (maxText != null) {
                try {
                    max = Math.min(MAX_PAGE, Math.max(0, Integer.parseInt(maxText.strip())));
                } catch (NumberFormatException e) {
                    return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "max is not a number");
                }
            }
            after = text(child(set, "after", RSM));
            XMLElement beforeElement = child(set, "before", RSM);
            if (beforeElement != null) {
                before = text(beforeElement);
                if (before == null || before.isBlank()) {
                    before = null;
                    lastPage = true; // XEP-0059 §2.5: an empty <before/> asks for the last page
                }
            }
        }
        ArchiveStore.Page page;
        awaitRetractions();
        try {
            if (!writer.awaitWritten()) {
                // The query still answers from what is stored: failing it would hide the rest of the archive.
                LOG.warn("archive query of {} answered before the writer caught up",
                        archiveJid.getBareJID().getFullQualifiedName());
            }
            page = store.page(new ArchiveStore.Filter(archiveJid.getBareJID().getFullQualifiedName(), with, start, end),
                    new ArchiveStore.Paging(after, before, lastPage, max));
        } catch (ArchiveStore.UnknownIdException e) {
            return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return StanzaErrors.error(iq, StanzaErrorCondition.INTERNAL_SERVER_ERROR, null);
        }
        String queryId = query.getAttributeValue("queryid");
        for (ArchiveStore.Entry entry : page.entries()) {
            StanzaBuilder m = new StanzaBuilder("message", NamespaceURIs.JABBER_CLIENT)
                    .addAttribute("from", archiveJid.getBareJID().getFullQualifiedName())
                    .addAttribute("to", iq.getFrom().getFullQualifiedName());
            m.startInnerElement("result", ns).addAttribute("id", entry.id());
            if (queryId != null) {
                m.addAttribute("queryid", queryId);
            }
            m.startInnerElement("forwarded", FORWARD);
            m.startInnerElement("delay", DELAY).addAttribute("stamp", entry.sent().toString()).endInnerElement();
            m.addPreparedElement(StanzaParsing.parse(entry.stanza()));
            m.endInnerElement().endInnerElement();
            send.accept(m.build());
        }
        StanzaBuilder fin = StanzaErrors.result(iq).startInnerElement("fin", ns);
        if (page.complete()) {
            fin.addAttribute("complete", "true");
        }
        fin.startInnerElement("set", RSM);
        if (!page.entries().isEmpty()) {
            fin.startInnerElement("first", RSM).addAttribute("index", Long.toString(page.firstIndex()))
                    .addText(page.entries().get(0).id()).endInnerElement();
            fin.startInnerElement("last", RSM).addText(page.entries().get(page.entries().size() - 1).id())
                    .endInnerElement();
        }
        fin.startInnerElement("count", RSM).addText(Long.toString(page.count())).endInnerElement();
        fin.endInnerElement().endInnerElement();
        return fin.build();
    }

    /** §4.1.1: the fields a query may filter on. */
    private static Stanza form(Stanza iq, String ns) {
        StanzaBuilder b = StanzaErrors.result(iq).startInnerElement("query", ns)
                .startInnerElement("x", DATA).addAttribute("type", "form");
        b.startInnerElement("field", DATA).addAttribute("var", "FORM_TYPE").addAttribute("type", "hidden")
                .startInnerElement("value", DATA).addText(ns).endInnerElement().endInnerElement();
        b.startInnerElement("field", DATA).addAttribute("var", "with").addAttribute("type", "jid-single").endInnerElement();
        b.startInnerElement("field", DATA).addAttribute("var", "start").addAttribute("type", "text-single").endInnerElement();
        b.startInnerElement("field", DATA).addAttribute("var", "end").addAttribute("type", "text-single").endInnerElement();
        return b.endInnerElement().endInnerElement().build();
    }

    private static Map<String, String> fields(XMLElement x) {
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        for (XMLElement field : x.getInnerElementsNamed("field", DATA)) {
            String var = field.getAttributeValue("var");
            XMLElement value = child(field, "value", DATA);
            if (var != null && value != null && text(value) != null) {
                fields.put(var, text(value).strip());
            }
        }
        return fields;
    }

    private static XMLElement child(XMLElement parent, String name, String ns) {
        for (XMLElement e : parent.getInnerElements()) {
            if (e.getName().equals(name) && ns.equals(e.getNamespaceURI())) {
                return e;
            }
        }
        return null;
    }

    private static String text(XMLElement e) {
        if (e == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder();
        e.getInnerTexts().forEach(t -> sb.append(t.getText()));
        return sb.toString();
    }

    /** Writes the messages still queued for the archive. */
    @Override
    public void close() {
        tombstones.shutdown();
        try {
            tombstones.awaitTermination(ArchiveWriter.WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writer.close();
    }
}
