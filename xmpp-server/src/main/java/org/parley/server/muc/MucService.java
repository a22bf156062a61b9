package org.parley.server.muc;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.config.ServerSettings;
import org.parley.server.mam.MessageArchive;
import org.parley.server.retract.Retraction;
import org.parley.server.routing.RoutedStanza;
import org.parley.server.routing.ServiceComponent;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.RoomStore;
import org.parley.server.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The multi-user chat service (XEP-0045) at {@code conference.<domain>}: a Vysper component that owns
 * the rooms, answers service discovery, creates rooms on first presence, restores persistent rooms from
 * storage and makes every room of a session forget it when the session ends.
 *
 * <p>Stanzas arrive on the sending session's thread (the relay is synchronous); each room serialises its
 * own work, so rooms run in parallel and each room's occupants see one order of events.
 */
public final class MucService extends ServiceComponent {

    private static final Logger LOG = LoggerFactory.getLogger(MucService.class);

    private final ServerSettings.Muc settings;
    private final RoomStore store;
    private final Predicate<Entity> serverAdmin;
    private final Clock clock;
    private final MessageArchive archive;
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();
    private final Map<Entity, Set<Room>> roomsBySession = new ConcurrentHashMap<>();
    private final Room.Host host = new RoomHost();

    /** @param archive where rooms with logging on archive their messages (XEP-0313); null when archiving is off */
    public MucService(ServerSettings.Muc settings, RoomStore store, Predicate<Entity> serverAdmin, Clock clock,
                      MessageArchive archive) {
        super(settings.subdomain(), "Chat rooms");
        this.archive = archive;
        this.settings = settings;
        this.store = store;
        this.serverAdmin = serverAdmin;
        this.clock = clock;
    }

    @Override
    public String getName() {
        return "Parley multi-user chat (XEP-0045)";
    }

    @Override
    public String getVersion() {
        return "1.25";
    }

    @Override
    protected void started(ServerRuntimeContext runtime) {
        loadRooms();
    }

    /**
     * Called by the session registry when a resource stops being present (unavailable presence, or its
     * session ended): it leaves every room it was in (RFC 6121 §4.6.3, XEP-0045 §7.14).
     */
    public void departed(Entity fullJid) {
        Set<Room> joined = roomsBySession.remove(fullJid);
        if (joined != null) {
            for (Room room : new ArrayList<>(joined)) {
                room.sessionEnded(fullJid);
                room.flush();
            }
        }
    }

    /**
     * Cluster mode (issue 19): this node has just become the host of room {@code name}. A copy held here may be
     * stale (loaded at start, or left from an earlier time as its host), so the database's state replaces it;
     * a room that is not stored is forgotten (its host was lost). A copy with occupants here is kept.
     */
    public void reload(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        Room current = rooms.get(key);
        if (current != null && roomsBySession.values().stream().anyMatch(joined -> joined.contains(current))) {
            return;
        }
        for (RoomStore.StoredRoom stored : store.loadAll()) {
            if (stored.room().equals(key)) {
                try {
                    rooms.put(key, Room.restore(host, stored, defaultConfig()));
                } catch (RuntimeException e) {
                    LOG.error("stored room {} could not be restored: {}", key, e.getMessage());
                }
                return;
            }
        }
        if (current != null) {
            rooms.remove(key, current);
        }
    }

    /** Rooms that exist now (metrics). */
    public int roomCount() {
        return rooms.size();
    }

    /** Occupancies now: one per room a session is in (metrics). */
    public int occupancyCount() {
        int n = 0;
        for (Set<Room> joined : roomsBySession.values()) {
            n += joined.size();
        }
        return n;
    }

    private void loadRooms() {
        RoomConfig defaults = defaultConfig();
        int restored = 0;
        for (RoomStore.StoredRoom stored : store.loadAll()) {
            try {
                rooms.put(stored.room(), Room.restore(host, stored, defaults));
                restored++;
            } catch (RuntimeException e) {
                LOG.error("stored room {} could not be restored: {}", stored.room(), e.getMessage());
            }
        }
        int created = 0;
        for (String name : settings.rooms()) {
            String key = name.toLowerCase(Locale.ROOT);
            if (!rooms.containsKey(key)) {
                RoomConfig config = defaults.with(Map.of("persistentroom", "true", "publicroom", "true",
                        "enablelogging", Boolean.toString(archive != null),
                        "roomname", Character.toUpperCase(key.charAt(0)) + key.substring(1)), settings.maxHistoryLength());
                Room room = new Room(host, key, config, false);
                rooms.put(key, room);
                host.save(room);
                created++;
            }
        }
        LOG.info("chat rooms at {}: {} restored, {} created from muc.rooms", serviceJid().getDomain(), restored, created);
    }

    private RoomConfig defaultConfig() {
        return RoomConfig.defaults(settings.maxUsers(), settings.historyLength());
    }

    // ---------------------------------------------------------------- dispatch

    @Override
    protected void handle(Stanza stanza) {
        handle(RoutedStanza.of(stanza));
    }

    /** Every stanza arrives here with its addresses parsed once, by the dispatcher or the relay. */
    @Override
    protected void handle(RoutedStanza routed) {
        if (routed.to().getNode() == null) {
            serviceStanza(routed.stanza());
        } else {
            roomStanza(routed);
        }
    }

    /** Stanzas to the service itself: discovery, ping; everything else is unavailable. */
    private void serviceStanza(Stanza stanza) {
        if (!"iq".equals(stanza.getName())) {
            if ("message".equals(stanza.getName()) && StanzaErrors.answerable(stanza)) {
                send(StanzaErrors.error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, null));
            }
            return;
        }
        if (!StanzaErrors.isRequest(stanza)) {
            return;
        }
        XMLElement query = stanza.getFirstInnerElement();
        String ns = query == null ? "" : query.getNamespaceURI();
        boolean get = "get".equals(stanza.getAttributeValue("type"));
        if (get && MucXml.DISCO_INFO.equals(ns) && query.getAttributeValue("node") == null) {
            StanzaBuilder b = StanzaErrors.result(stanza).startInnerElement("query", MucXml.DISCO_INFO);
            b.startInnerElement("identity", MucXml.DISCO_INFO).addAttribute("category", "conference")
                    .addAttribute("type", "text").addAttribute("name", "Chat rooms").endInnerElement();
            for (String f : List.of(MucXml.MUC, MucXml.DISCO_INFO, MucXml.DISCO_ITEMS, MucXml.PING,
                    MucXml.SELF_PING_OPTIMIZATION)) {
                b.startInnerElement("feature", MucXml.DISCO_INFO).addAttribute("var", f).endInnerElement();
            }
            send(b.endInnerElement().build());
        } else if (get && MucXml.DISCO_ITEMS.equals(ns) && query.getAttributeValue("node") == null) {
            // §6.3: the public rooms.
            StanzaBuilder b = StanzaErrors.result(stanza).startInnerElement("query", MucXml.DISCO_ITEMS);
            rooms.values().stream().filter(Room::isListed).sorted(Comparator.comparing(Room::name))
                    .forEach(r -> b.startInnerElement("item", MucXml.DISCO_ITEMS)
                            .addAttribute("jid", r.jid().getFullQualifiedName())
                            .addAttribute("name", r.title()).endInnerElement());
            send(b.endInnerElement().build());
        } else if (get && MucXml.PING.equals(ns)) {
            send(StanzaErrors.result(stanza).build());
        } else {
            send(StanzaErrors.error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, null));
        }
    }

    private void roomStanza(RoutedStanza routed) {
        Stanza stanza = routed.stanza();
        Entity from = routed.from();
        Entity to = routed.to();
        String key = to.getNode().toLowerCase(Locale.ROOT);
        String nick = to.getResource();
        switch (stanza.getName()) {
            case "presence" -> presence(stanza, from, key, nick);
            case "message" -> {
                Room room = rooms.get(key);
                if (room == null) {
                    if (StanzaErrors.answerable(stanza)) {
                        send(StanzaErrors.error(stanza, StanzaErrorCondition.ITEM_NOT_FOUND, "no such room"));
                    }
                } else if (nick == null) {
                    room.message(stanza, from);
                    room.flush();
                } else {
                    room.privateMessage(stanza, from, nick);
                    room.flush();
                }
            }
            case "iq" -> iq(stanza, from, key, nick);
            default -> { }
        }
    }

    private void presence(Stanza presence, Entity from, String key, String nick) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Room room = rooms.get(key);
            if (room == null) {
                if (presence.getAttributeValue("type") != null) {
                    return; // leaving or probing a room that does not exist: nothing to do
                }
                if (nick == null || nick.isBlank()) {
                    send(MucXml.presenceError(presence, StanzaErrorCondition.JID_MALFORMED, "a room nickname is required"));
                    return;
                }
                if (!mayCreate(from)) {
                    send(MucXml.presenceError(presence, StanzaErrorCondition.NOT_ALLOWED,
                            "only administrators may create rooms here"));
                    return;
                }
                if (!creationBudget.test(from.getBareJID())) {
                    send(MucXml.presenceError(presence, StanzaErrorCondition.RESOURCE_CONSTRAINT,
                            "you created too many rooms lately; try again later"));
                    return;
                }
                boolean speaksMuc = MucXml.child(presence, "x", MucXml.MUC) != null;
                Room fresh = new Room(host, key, defaultConfig(), speaksMuc);
                if (rooms.putIfAbsent(key, fresh) == null) {
                    fresh.create(presence, from, nick);
                    fresh.flush();
                    LOG.debug("room {} created by {}", fresh.jid(), from);
                    return;
                }
                continue; // someone else created it meanwhile
            }
            boolean handled = room.presence(presence, from, nick);
            room.flush();
            if (handled) {
                return;
            }
        }
    }

    private boolean mayCreate(Entity user) {
        return settings.anyoneMayCreate() || serverAdmin.test(user.getBareJID());
    }

    /** Rooms per account and hour (issue 17, limits.rooms-per-hour): asked once per room about to be created. */
    private volatile Predicate<Entity> creationBudget = user -> true;

    /** Sets the per-account room creation budget ({@code user} is the bare JID); everyone may by default. */
    public void limitCreation(Predicate<Entity> budget) {
        this.creationBudget = budget;
    }

    private void iq(Stanza iq, Entity from, String key, String nick) {
        Room room = rooms.get(key);
        boolean request = StanzaErrors.isRequest(iq);
        if (room == null || room.isGone() || !request && nick == null) {
            if (request) {
                send(StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, "no such room"));
            }
            return;
        }
        if (nick != null) {
            room.occupantIq(iq, from, nick);
            room.flush();
            return;
        }
        XMLElement query = iq.getFirstInnerElement();
        String ns = query == null ? "" : query.getNamespaceURI();
        boolean set = "set".equals(iq.getAttributeValue("type"));
        Stanza reply = switch (ns) {
            case MucXml.MUC_ADMIN -> room.admin(iq, from, query, set);
            case MucXml.MUC_OWNER -> room.owner(iq, from, query, set);
            case MucXml.DISCO_INFO -> set ? badRequest(iq) : room.discoInfo(iq);
            case MucXml.DISCO_ITEMS -> set ? badRequest(iq) : room.discoItems(iq, from);
            case MucXml.PING -> set ? badRequest(iq) : StanzaErrors.result(iq).build();
            case MessageArchive.MAM2, MessageArchive.MAM1 -> room.archiveQuery(iq, from, query);
            case RoomVcards.NS -> "vCard".equals(query.getName()) ? room.vcard(iq, from, query, set) : badRequest(iq);
            case Retraction.MODERATE_NS -> set && "moderate".equals(query.getName()) ? room.moderate(iq, from, query)
                    : badRequest(iq);
            default -> StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
        };
        room.send(reply); // after what the room queued while answering (e.g. the presence of a role change)
    }

    private static Stanza badRequest(Stanza iq) {
        return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, null);
    }

    /** What the rooms get from the service. */
    private volatile RoomVcards vcards;

    /**
     * Lets rooms have a vCard (their avatar, XEP-0486) kept in {@code documents}, with avatar images up to
     * {@code maxPhotoBytes}.
     */
    public void keepRoomVcards(org.parley.server.storage.DocumentStore documents, int maxPhotoBytes) {
        this.vcards = new RoomVcards(documents, maxPhotoBytes);
    }

    private final class RoomHost implements Room.Host {
        @Override
        public RoomVcards vcards() {
            return vcards;
        }

        @Override
        public Entity serviceJid() {
            return MucService.this.serviceJid();
        }

        @Override
        public void send(Stanza stanza) {
            MucService.this.send(stanza);
        }

        @Override
        public void send(Entity to, Stanza stanza) {
            MucService.this.send(to, stanza);
        }

        @Override
        public void send(RoutedStanza routed) {
            MucService.this.send(routed);
        }

        @Override
        public boolean isServerAdmin(Entity bareJid) {
            return serverAdmin.test(bareJid);
        }

        @Override
        public int maxHistoryLength() {
            return settings.maxHistoryLength();
        }

        @Override
        public void save(Room room) {
            try {
                if (room.config().persistent()) {
                    store.save(room.snapshot());
                    room.stored(true);
                } else if (room.stored()) {
                    store.delete(room.name());
                    room.stored(false);
                }
            } catch (StorageException e) {
                LOG.error("room {} could not be saved: {}", room.jid(), e.getMessage());
            }
        }

        @Override
        public void discard(Room room) {
            rooms.remove(room.name(), room);
            // Storage is cleaned here, under the room's lock, not later: a room re-created under the same name
            // right away must not lose its archive or row to the old one's clean-up (rare: destroy, last leaves).
            if (archive != null) {
                // A room created later under the same name starts with an empty archive (XEP-0045 §10.9).
                archive.deleteArchiveOf(room.jid());
            }
            if (vcards != null) {
                vcards.delete(room.jid()); // and its avatar
            }
            if (room.stored()) {
                try {
                    store.delete(room.name());
                    room.stored(false);
                } catch (StorageException e) {
                    LOG.error("room {} could not be removed from storage: {}", room.jid(), e.getMessage());
                }
            }
        }

        @Override
        public void sessionJoined(Entity session, Room room) {
            roomsBySession.computeIfAbsent(session, s -> ConcurrentHashMap.newKeySet()).add(room);
        }

        @Override
        public void sessionLeft(Entity session, Room room) {
            roomsBySession.computeIfPresent(session, (s, set) -> {
                set.remove(room);
                return set.isEmpty() ? null : set;
            });
        }

        @Override
        public Instant now() {
            return clock.instant();
        }

        @Override
        public MessageArchive archive() {
            return archive;
        }
    }
}
