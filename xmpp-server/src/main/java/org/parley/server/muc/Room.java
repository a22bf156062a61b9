package org.parley.server.muc;

import static org.parley.server.muc.MucXml.MUC_ADMIN;
import static org.parley.server.muc.MucXml.MUC_OWNER;
import static org.parley.server.muc.MucXml.MUC_USER;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.MessageStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.mam.MessageArchive;
import org.parley.server.retract.Retraction;
import org.parley.server.render.AddressedRendering;
import org.parley.server.render.PrerenderedStanza;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.routing.RefusedException;
import org.parley.server.routing.RoutedStanza;
import org.parley.server.routing.StanzaErrors;
import org.parley.server.storage.RoomStore.StoredRoom;
import org.parley.server.transport.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chat room of XEP-0045: its occupants, affiliations, configuration, subject and discussion history,
 * and every rule about who may do what.
 *
 * <p>All methods are synchronized on the room: the lock guards its state only. What the room sends (and
 * its storage writes) is queued in its outbox under the lock, in the order the state changed, and
 * delivered after the lock is released by {@link #flush} — by the caller, or by whoever is already
 * delivering this room's outbox — so the fan-out and JDBC writes never hold the room up, and every occupant
 * still sees the room's events in one order (RFC 6120 §10.1, XEP-0045: the same messages in the same order
 * for everyone). Callers call {@link #flush} after every call into the room.
 */
final class Room {

    private static final Logger LOG = LoggerFactory.getLogger(Room.class);

    /** What a room needs from its service. */
    interface Host {
        Entity serviceJid();

        /** Delivers a stanza addressed by its 'to'. */
        void send(Stanza stanza);

        /** Delivers a stanza whose 'to' is {@code to}, already parsed (a room's fan-out knows it). */
        default void send(Entity to, Stanza stanza) {
            send(stanza);
        }

        /** Delivers a stanza with both addresses already parsed (the fan-out of a room message). */
        default void send(RoutedStanza routed) {
            send(routed.to(), routed.stanza());
        }

        /** Server administrators act as owners of every room. */
        boolean isServerAdmin(Entity bareJid);

        int maxHistoryLength();

        /** Stores the room when persistent, forgets it when it no longer is. */
        void save(Room room);

        /** The room was destroyed, or a temporary room emptied: remove it from the service and from storage. */
        void discard(Room room);

        void sessionJoined(Entity session, Room room);

        void sessionLeft(Entity session, Room room);

        Instant now();

        /** The archive rooms with logging on write to (XEP-0313), or null when archiving is off. */
        MessageArchive archive();

        /** Where rooms keep their vCards (avatars), or null when rooms have none. */
        default RoomVcards vcards() {
            return null;
        }
    }

    private static final int PENDING_IQ_LIMIT = 1000;

    private final Host host;
    private final String name;
    private final Entity jid;
    private RoomConfig config;
    private boolean locked;
    private boolean gone;
    private boolean stored;
    /** Bare JID → affiliation; users without one are {@link Affiliation#NONE} and not listed. */
    private final Map<Entity, Affiliation> affiliations = new LinkedHashMap<>();
    private final LinkedHashMap<String, Occupant> occupants = new LinkedHashMap<>();
    private final Map<Entity, Occupant> bySession = new HashMap<>();
    private final DiscussionHistory history;
    /** Who said the recent messages, by stanza-id: whom XEP-0424 lets retract them. Bounded. */
    private final LinkedHashMap<String, Entity> authors = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entity> eldest) {
            return size() > RECENT_AUTHORS;
        }
    };
    static final int RECENT_AUTHORS = 1000;
    private String subject = "";
    private String subjectBy;
    /** IQs forwarded to an occupant: "forwardee id" → the requesting session, to route the answer back. */
    private final LinkedHashMap<String, Entity> pendingIqs = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entity> eldest) {
            return size() > PENDING_IQ_LIMIT;
        }
    };

    Room(Host host, String name, RoomConfig config, boolean locked) {
        this.host = host;
        this.name = name;
        this.jid = new EntityImpl(name, host.serviceJid().getDomain(), null);
        this.config = config;
        this.locked = locked;
        this.history = new DiscussionHistory(config.historyLength());
    }

    /** A persistent room as stored. */
    static Room restore(Host host, StoredRoom stored, RoomConfig defaults) {
        RoomConfig config = defaults.with(stored.settings(), host.maxHistoryLength());
        Room room = new Room(host, stored.room(), config, false);
        room.stored = true;
        room.subject = stored.subject() == null ? "" : stored.subject();
        room.subjectBy = stored.subjectBy();
        stored.affiliations().forEach((user, affiliation) -> {
            Affiliation a = Affiliation.parse(affiliation);
            if (a != null && a != Affiliation.NONE) {
                room.affiliations.put(EntityImpl.parseUnchecked(user).getBareJID(), a);
            }
        });
        return room;
    }

    String name() {
        return name;
    }

    Entity jid() {
        return jid;
    }

    synchronized RoomConfig config() {
        return config;
    }

    synchronized boolean isGone() {
        return gone;
    }

    /** Whether {@code bare} is an owner by affiliation (server administrators' implicit ownership aside). */
    synchronized boolean ownedBy(Entity bare) {
        return !gone && affiliations.get(bare) == Affiliation.OWNER;
    }

    /** Listed in the service's disco#items (XEP-0045 §6.3): public, and configured. */
    synchronized boolean isListed() {
        return !gone && !locked && config.publicRoom();
    }

    synchronized StoredRoom snapshot() {
        Map<String, String> affs = new TreeMap<>();
        affiliations.forEach((user, a) -> affs.put(user.getFullQualifiedName(), a.xml()));
        return new StoredRoom(name, config.toSettings(), subject.isEmpty() ? null : subject, subjectBy, affs);
    }

    synchronized boolean stored() {
        return stored;
    }

    synchronized void stored(boolean value) {
        this.stored = value;
    }

    // ---------------------------------------------------------------- presence

    /**
     * First presence to a room that did not exist: the sender becomes its owner (XEP-0045 §10.1.1). A
     * client that speaks MUC gets a locked room and status 201, and must accept or submit the
     * configuration; an old groupchat 1.0 client (no {@code <x/>}) gets an instant room.
     */
    synchronized void create(Stanza presence, Entity from, String nick) {
        Entity user = from.getBareJID();
        affiliations.put(user, Affiliation.OWNER);
        enter(presence, from, nick, true);
    }

    /**
     * Presence from a session to this room: enter, update, change nickname or leave.
     *
     * @return false when the room was discarded meanwhile (the service retries with a fresh lookup)
     */
    synchronized boolean presence(Stanza presence, Entity from, String nick) {
        if (gone) {
            return false;
        }
        String type = presence.getAttributeValue("type");
        Occupant current = bySession.get(from);
        if ("unavailable".equals(type)) {
            if (current != null) {
                leave(current, from, statusElements(presence));
            }
            return true;
        }
        if ("error".equals(type)) {
            // The occupant's client or server reports a problem: it is a ghost, remove it (XEP-0045 §7.2.? / 333).
            if (current != null) {
                remove(current, List.of(MucXml.TECHNICAL), null, null);
            }
            return true;
        }
        if (type != null) {
            return true; // probes and subscriptions mean nothing to a room
        }
        if (nick == null || nick.isBlank()) {
            // §7.2.1: entering needs a nickname in the resource part.
            reply(MucXml.presenceError(presence, StanzaErrorCondition.JID_MALFORMED, "a room nickname is required"));
            return true;
        }
        if (current == null) {
            enter(presence, from, nick, false);
        } else if (current.nick().equals(nick)) {
            current.presence(from, payloadOf(presence));
            broadcastPresence(current, null, null);
        } else {
            changeNick(current, from, nick, presence);
        }
        return true;
    }

    private void enter(Stanza presence, Entity session, String nick, boolean created) {
        Entity user = session.getBareJID();
        Affiliation affiliation = affiliationOf(user);
        Occupant holder = occupants.get(nick);
        if (!created) {
            StanzaErrorCondition refusal = null;
            String why = null;
            XMLElement x = MucXml.child(presence, "x", MucXml.MUC);
            String password = x == null ? null : MucXml.childText(x, "password", MucXml.MUC);
            if (locked && affiliation != Affiliation.OWNER) {
                refusal = StanzaErrorCondition.ITEM_NOT_FOUND;
                why = "the room is locked until its owner configures it";
            } else if (affiliation == Affiliation.OUTCAST) {
                refusal = StanzaErrorCondition.FORBIDDEN;
                why = "you are banned from this room";
            } else if (config.membersOnly() && affiliation == Affiliation.NONE) {
                refusal = StanzaErrorCondition.REGISTRATION_REQUIRED;
                why = "this room is for members only";
            } else if (holder != null && !holder.user().equals(user)) {
                refusal = StanzaErrorCondition.CONFLICT;
                why = "that nickname is in use";
            } else if (config.passwordProtected() && affiliation != Affiliation.OWNER
                    && !config.password().equals(password)) {
                refusal = StanzaErrorCondition.NOT_AUTHORIZED;
                why = password == null ? "this room needs a password" : "wrong room password";
            } else if (holder == null && config.maxUsers() > 0 && occupants.size() >= config.maxUsers()
                    && !affiliation.isAdminOrOwner()) {
                refusal = StanzaErrorCondition.SERVICE_UNAVAILABLE;
                why = "the room is full";
            }
            if (refusal != null) {
                reply(MucXml.presenceError(presence, refusal, why));
                return;
            }
        }
        boolean newOccupant = holder == null;
        Occupant occupant = newOccupant ? new Occupant(nick, user, defaultRole(affiliation)) : holder;
        if (newOccupant) {
            occupants.put(nick, occupant);
        }
        occupant.presence(session, payloadOf(presence));
        bySession.put(session, occupant);
        host.sessionJoined(session, this);

        // §7.2.3: the existing occupants first, then the newcomer to everyone, then the self-presence.
        boolean moderatorView = config.whoisAnyone() || occupant.role() == Role.MODERATOR;
        for (Occupant other : occupants.values()) {
            if (other != occupant) {
                out(presenceOf(other, session, null, moderatorView, List.of(), null, null));
            }
        }
        if (newOccupant) {
            for (Occupant other : occupants.values()) {
                if (other != occupant) {
                    for (Entity s : other.sessions()) {
                        out(presenceOf(occupant, s, null, canSeeJids(other), List.of(), null, null));
                    }
                }
            }
        }
        List<Integer> statuses = new ArrayList<>();
        statuses.add(MucXml.SELF);
        if (config.whoisAnyone()) {
            statuses.add(MucXml.NON_ANONYMOUS);
        }
        if (config.logging()) {
            statuses.add(MucXml.LOGGING_ON);
        }
        if (created && locked) {
            statuses.add(MucXml.CREATED);
        }
        out(presenceOf(occupant, session, null, true, statuses, null, null));

        // §7.2.15-16: then the discussion history as asked, then the subject.
        XMLElement x = MucXml.child(presence, "x", MucXml.MUC);
        XMLElement historyRequest = x == null ? null : MucXml.child(x, "history", MucXml.MUC);
        DiscussionHistory.Request request = historyRequest == null ? DiscussionHistory.Request.ALL
                : new DiscussionHistory.Request(MucXml.count(historyRequest.getAttributeValue("maxchars")),
                MucXml.count(historyRequest.getAttributeValue("maxstanzas")),
                MucXml.count(historyRequest.getAttributeValue("seconds")),
                MucXml.instant(historyRequest.getAttributeValue("since")));
        for (DiscussionHistory.Entry entry : history.select(request, host.now())) {
            out(delayed(entry, session));
        }
        out(subjectMessage(session));
    }

    /** §7.6: unavailable from the old nickname with status 303, then available from the new one. */
    private void changeNick(Occupant occupant, Entity session, String newNick, Stanza presence) {
        Occupant holder = occupants.get(newNick);
        if (holder != null) {
            reply(MucXml.presenceError(presence, StanzaErrorCondition.CONFLICT, "that nickname is in use"));
            return;
        }
        if (occupant.sessions().size() > 1) {
            reply(MucXml.presenceError(presence, StanzaErrorCondition.NOT_ACCEPTABLE,
                    "leave with your other sessions before changing nickname"));
            return;
        }
        String oldNick = occupant.nick();
        Affiliation affiliation = affiliationOf(occupant.user());
        Entity oldJid = occupantJid(oldNick);
        for (Occupant recipient : occupants.values()) {
            boolean self = recipient == occupant;
            List<Integer> statuses = self ? List.of(MucXml.NEW_NICK, MucXml.SELF) : List.of(MucXml.NEW_NICK);
            for (Entity s : recipient.sessions()) {
                Entity shownJid = self || canSeeJids(recipient) ? occupant.primarySession() : null;
                out(MucXml.presence(oldJid, s, "unavailable", List.of(),
                        new MucXml.Item(affiliation, occupant.role(), shownJid, newNick, null, null), statuses, null));
            }
        }
        occupants.remove(oldNick);
        occupant.nick(newNick);
        occupants.put(newNick, occupant);
        occupant.presence(session, payloadOf(presence));
        broadcastPresence(occupant, null, null);
    }

    private void leave(Occupant occupant, Entity session, List<XMLElement> status) {
        boolean last = occupant.removeSession(session);
        bySession.remove(session);
        host.sessionLeft(session, this);
        Affiliation affiliation = affiliationOf(occupant.user());
        if (!last) {
            // Another session keeps the nickname: only the leaving one hears that it left.
            out(MucXml.presence(occupantJid(occupant.nick()), session, "unavailable", status,
                    MucXml.Item.of(affiliation, Role.NONE, session), List.of(MucXml.SELF), null));
            return;
        }
        occupants.remove(occupant.nick());
        for (Occupant other : occupants.values()) {
            for (Entity s : other.sessions()) {
                out(MucXml.presence(occupantJid(occupant.nick()), s, "unavailable", status,
                        MucXml.Item.of(affiliation, Role.NONE, canSeeJids(other) ? session : null), List.of(), null));
            }
        }
        out(MucXml.presence(occupantJid(occupant.nick()), session, "unavailable", status,
                MucXml.Item.of(affiliation, Role.NONE, session), List.of(MucXml.SELF), null));
        afterDeparture();
    }

    /** A session ended without leaving (connection lost, stream closed): it leaves every room. */
    synchronized void sessionEnded(Entity session) {
        Occupant occupant = bySession.get(session);
        if (occupant != null && !gone) {
            leave(occupant, session, List.of());
        }
    }

    /** Removes an occupant against its will (kick, ban, lost membership, ghost) with the given status codes. */
    private void remove(Occupant occupant, List<Integer> statuses, String actor, String reason) {
        occupants.remove(occupant.nick());
        List<Entity> sessions = occupant.sessions();
        for (Entity s : sessions) {
            bySession.remove(s);
            host.sessionLeft(s, this);
        }
        Affiliation affiliation = affiliationOf(occupant.user());
        Entity from = occupantJid(occupant.nick());
        Entity realJid = occupant.primarySession();
        List<Integer> selfStatuses = new ArrayList<>(statuses);
        selfStatuses.add(MucXml.SELF);
        for (Entity s : sessions) {
            out(MucXml.presence(from, s, "unavailable", List.of(),
                    new MucXml.Item(affiliation, Role.NONE, s, null, actor, reason), selfStatuses, null));
        }
        for (Occupant other : occupants.values()) {
            for (Entity s : other.sessions()) {
                out(MucXml.presence(from, s, "unavailable", List.of(),
                        new MucXml.Item(affiliation, Role.NONE, canSeeJids(other) ? realJid : null, null, actor, reason),
                        statuses, null));
            }
        }
        afterDeparture();
    }

    private void afterDeparture() {
        if (occupants.isEmpty() && (!config.persistent() || locked)) {
            gone = true;
            host.discard(this);
        }
    }

    /** Sends an occupant's current presence to every session in the room, with 110 to its own. */
    private void broadcastPresence(Occupant occupant, String actor, String reason) {
        for (Occupant recipient : occupants.values()) {
            boolean self = recipient == occupant;
            for (Entity s : recipient.sessions()) {
                out(presenceOf(occupant, s, null, self || canSeeJids(recipient),
                        self ? List.of(MucXml.SELF) : List.of(), actor, reason));
            }
        }
    }

    private Stanza presenceOf(Occupant occupant, Entity to, String type, boolean showJid, Collection<Integer> statuses,
                              String actor, String reason) {
        return MucXml.presence(occupantJid(occupant.nick()), to, type, occupant.presence(),
                new MucXml.Item(affiliationOf(occupant.user()), occupant.role(),
                        showJid ? occupant.primarySession() : null, null, actor, reason),
                statuses, null);
    }

    /** §7.2.3-4: everyone sees real JIDs in a non-anonymous room, only moderators in a semi-anonymous one. */
    private boolean canSeeJids(Occupant recipient) {
        return config.whoisAnyone() || recipient.role() == Role.MODERATOR;
    }

    /** A presence's payload as shown to the room: everything but the MUC join element. */
    private static List<XMLElement> payloadOf(Stanza presence) {
        List<XMLElement> payload = new ArrayList<>();
        for (XMLElement e : presence.getInnerElements()) {
            String ns = e.getNamespaceURI();
            if (!MucXml.MUC.equals(ns) && !MUC_USER.equals(ns)) {
                payload.add(e);
            }
        }
        return payload;
    }

    /** The {@code <status/>} texts of an unavailable presence, passed on to the occupants (§7.14). */
    private static List<XMLElement> statusElements(Stanza presence) {
        return presence.getInnerElementsNamed("status", MucXml.CLIENT);
    }

    // ---------------------------------------------------------------- messages

    /** A message to the room's bare JID: groupchat, subject change, invitation or decline. */
    void message(Stanza message, Entity from) {
        // The archive's admission may wait (ArchiveWriter.ADMIT_WAIT_MILLIS) for its writer to catch up: it is
        // asked before taking the room's lock, so the room keeps serving everyone else meanwhile. Null: not asked
        // (the message would not be archived as the room stood then).
        Boolean admitted = mayBeArchived(message) ? host.archive().admit() : null;
        message(message, from, admitted);
    }

    /** Whether {@code message} says something the room's archive would keep (see {@code spoken} below). */
    private synchronized boolean mayBeArchived(Stanza message) {
        if (gone || !logging() || !"groupchat".equals(message.getAttributeValue("type"))) {
            return false;
        }
        String body = MucXml.childText(message, "body", MucXml.CLIENT);
        return body != null && !body.isEmpty() || Retraction.retractedId(message) != null;
    }

    private synchronized void message(Stanza message, Entity from, Boolean admitted) {
        String type = message.getAttributeValue("type");
        if ("error".equals(type) || gone) {
            return;
        }
        Occupant sender = bySession.get(from);
        XMLElement userX = MucXml.child(message, "x", MUC_USER);
        if (!"groupchat".equals(type) && userX != null) {
            if (!userX.getInnerElementsNamed("invite", MUC_USER).isEmpty()) {
                invite(message, from, userX, sender);
            } else if (!userX.getInnerElementsNamed("decline", MUC_USER).isEmpty()) {
                decline(message, from, userX);
            } else {
                reply(StanzaErrors.error(message, StanzaErrorCondition.BAD_REQUEST, null));
            }
            return;
        }
        if (sender == null) {
            // §7.4: only occupants may speak.
            reply(StanzaErrors.error(message, StanzaErrorCondition.NOT_ACCEPTABLE, "you are not in this room"));
            return;
        }
        if (!"groupchat".equals(type)) {
            reply(StanzaErrors.error(message, StanzaErrorCondition.BAD_REQUEST,
                    "messages to the room must be of type groupchat"));
            return;
        }
        if (!sender.role().hasVoice()) {
            reply(StanzaErrors.error(message, StanzaErrorCondition.FORBIDDEN, "you have no voice in this room"));
            return;
        }
        String body = MucXml.childText(message, "body", MucXml.CLIENT);
        XMLElement subjectElement = MucXml.child(message, "subject", MucXml.CLIENT);
        if (subjectElement != null && body == null) {
            // §8.1: moderators may change the subject; participants only if the room allows it.
            if (sender.role() != Role.MODERATOR && !(config.changeSubject() && sender.role() == Role.PARTICIPANT)) {
                reply(StanzaErrors.error(message, StanzaErrorCondition.FORBIDDEN,
                        "only moderators may change the subject of this room"));
                return;
            }
            subject = MucXml.text(subjectElement);
            subjectBy = sender.nick();
            saveLater();
        }
        String retracted = Retraction.retractedId(message);
        Entity author = retracted == null ? null : authors.get(retracted);
        if (author != null && !author.equals(sender.user())) {
            // XEP-0424 §7: only the author retracts (moderators use XEP-0425).
            reply(StanzaErrors.error(message, StanzaErrorCondition.FORBIDDEN, "only its author may retract a message"));
            return;
        }
        Entity fromOccupant = occupantJid(sender.nick());
        // XEP-0359 §4: no stanza-id an occupant claims survives; only the room's own is added below.
        Stanza reflected = MessageArchive.withoutStanzaIds(StanzaBuilder.createClone(message, true,
                List.of(new Attribute("from", fromOccupant.getFullQualifiedName()))).build());
        boolean spoken = body != null && !body.isEmpty() || retracted != null;
        boolean archived = spoken && logging();
        // Asked here, under the lock, only when logging was switched on since the look before the lock (rare).
        if (archived && !(admitted != null ? admitted : host.archive().admit())) {
            // The archive's queue stays full: refused before anyone gets it (RFC 6120 §8.3.3.18, wait).
            reply(StanzaErrors.error(message, StanzaErrorCondition.RESOURCE_CONSTRAINT,
                    "the message archive is overloaded; try again later"));
            return;
        }
        // XEP-0359: the room's own id on what it broadcasts (and never one an occupant claims for the room);
        // XEP-0424/0425 name a room message by it, so every message said gets one, archived or not.
        String id = spoken ? MessageArchive.newId() : null;
        reflected = MessageArchive.stamped(reflected, jid, id);
        // Archived before anything is queued for the occupants: a refusal (the writer's queue beyond even its
        // slack) then reaches only the sender, and no copy waits in the outbox for a later flush.
        if (archived) {
            try {
                host.archive().archiveForRoom(jid, id, fromOccupant, reflected, from);
            } catch (RefusedException e) {
                reply(StanzaErrors.error(message, e.condition(), e.getMessage()));
                return;
            }
        }
        // Rendered once for everyone; each occupant's copy only splices in its own 'to' (issue 18).
        AddressedRendering rendering = StanzaSerializer.addressable(reflected);
        for (Occupant recipient : occupants.values()) {
            for (Entity s : recipient.sessions()) {
                out(new RoutedStanza(new PrerenderedStanza(reflected, rendering, s), fromOccupant, s, null));
            }
        }
        if (body != null && !body.isEmpty() && retracted == null) {
            history.add(reflected, host.now());
            authors.put(id, sender.user());
        }
        if (author != null) {
            forget(retracted, null, null);
        }
    }

    /**
     * XEP-0425: a moderator retracts a message by its stanza-id; the room tells everyone (with the
     * moderator's occupant JID and the reason), replays it no more and keeps a tombstone in its archive.
     */
    synchronized Stanza moderate(Stanza iq, Entity from, XMLElement moderate) {
        Occupant requester = bySession.get(from);
        if (requester == null || requester.role() != Role.MODERATOR) {
            return StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "only moderators may moderate messages");
        }
        String id = moderate.getAttributeValue("id");
        if (id == null || id.isEmpty() || MucXml.child(moderate, "retract", Retraction.NS) == null) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST,
                    "expected <moderate id='…'><retract xmlns='" + Retraction.NS + "'/></moderate>");
        }
        // Recent messages are known from memory; older ones only from the archive (a read, so rarer).
        boolean known = authors.containsKey(id) || logging() && host.archive().roomMessage(jid, id)
                .filter(m -> !Retraction.isTombstone(m)).isPresent();
        if (!known) {
            return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, "no message with that id in this room");
        }
        String reason = MucXml.childText(moderate, "reason", Retraction.MODERATE_NS);
        String by = occupantJid(requester.nick()).getFullQualifiedName();
        String noticeId = MessageArchive.newId();
        Stanza notice = MessageArchive.stamped(Retraction.moderationNotice(jid.getFullQualifiedName(), id, by, reason),
                jid, noticeId);
        if (logging()) {
            try {
                host.archive().archiveForRoom(jid, noticeId, jid, notice, from); // first, as for a message
            } catch (RefusedException e) {
                return StanzaErrors.error(iq, e.condition(), e.getMessage());
            }
        }
        for (Occupant recipient : occupants.values()) {
            for (Entity s : recipient.sessions()) {
                out(addressed(notice, s));
            }
        }
        forget(id, by, reason);
        return StanzaErrors.result(iq).build();
    }

    /**
     * vcard-temp on the room's JID (XEP-0486): anyone reads it; only owners set it, and the occupants then
     * get a presence from the room with the new avatar hash (XEP-0153 {@code vcard-temp:x:update}).
     */
    synchronized Stanza vcard(Stanza iq, Entity from, XMLElement vcard, boolean set) {
        RoomVcards vcards = host.vcards();
        if (vcards == null) {
            return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, null);
        }
        if (!set) {
            StanzaBuilder result = StanzaErrors.result(iq);
            vcards.get(jid).ifPresentOrElse(result::addPreparedElement,
                    () -> result.startInnerElement("vCard", RoomVcards.NS).endInnerElement());
            return result.build();
        }
        if (affiliationOf(from) != Affiliation.OWNER) {
            return StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "only owners may change the room's vCard");
        }
        String refusal = vcards.set(jid, vcard);
        if (refusal != null) {
            return StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, refusal);
        }
        String hash = vcards.hash(jid);
        for (Occupant recipient : occupants.values()) {
            for (Entity s : recipient.sessions()) {
                StanzaBuilder p = new StanzaBuilder("presence", MucXml.CLIENT)
                        .addAttribute("from", jid.getFullQualifiedName()).addAttribute("to", s.getFullQualifiedName())
                        .startInnerElement("x", "vcard-temp:x:update").startInnerElement("photo", "vcard-temp:x:update");
                if (!hash.isEmpty()) {
                    p.addText(hash);
                }
                out(p.endInnerElement().endInnerElement().build());
            }
        }
        return StanzaErrors.result(iq).build();
    }

    /** A retracted message leaves the history and becomes a tombstone in the archive. */
    private void forget(String id, String moderatedBy, String reason) {
        authors.remove(id);
        history.removeIf(m -> m.getInnerElementsNamed("stanza-id", MucXml.STANZA_ID).stream()
                .anyMatch(e -> id.equals(e.getAttributeValue("id"))));
        if (logging()) {
            host.archive().retractInRoom(jid, id, moderatedBy, reason);
        }
    }

    /** A message to an occupant JID: a private message (§7.5). */
    synchronized void privateMessage(Stanza message, Entity from, String nick) {
        String type = message.getAttributeValue("type");
        if ("error".equals(type) || gone) {
            return;
        }
        if ("groupchat".equals(type)) {
            reply(StanzaErrors.error(message, StanzaErrorCondition.BAD_REQUEST,
                    "a private message cannot be of type groupchat"));
            return;
        }
        Occupant sender = bySession.get(from);
        if (sender == null) {
            reply(StanzaErrors.error(message, StanzaErrorCondition.NOT_ACCEPTABLE, "you are not in this room"));
            return;
        }
        Occupant target = occupants.get(nick);
        if (target == null) {
            reply(StanzaErrors.error(message, StanzaErrorCondition.ITEM_NOT_FOUND, "no such occupant"));
            return;
        }
        StanzaBuilder b = StanzaBuilder.createClone(message, true,
                List.of(new Attribute("from", occupantJid(sender.nick()).getFullQualifiedName())));
        // XEP-0045 §7.5: marks the message as a MUC private message for the recipient's other clients.
        if (MucXml.child(message, "x", MUC_USER) == null) {
            b.startInnerElement("x", MUC_USER).endInnerElement();
        }
        Stanza forwarded = b.build();
        for (Entity s : target.sessions()) {
            out(addressed(forwarded, s));
        }
    }

    /** §7.8.2: a mediated invitation, sent on by the room with the inviter's address. */
    private void invite(Stanza message, Entity inviter, XMLElement userX, Occupant sender) {
        Affiliation inviterAffiliation = affiliationOf(inviter.getBareJID());
        if (sender == null && !inviterAffiliation.isAdminOrOwner()) {
            reply(StanzaErrors.error(message, StanzaErrorCondition.NOT_ACCEPTABLE, "you are not in this room"));
            return;
        }
        boolean privileged = inviterAffiliation.isAdminOrOwner() || sender != null && sender.role() == Role.MODERATOR;
        if (!config.allowInvites() && !privileged) {
            reply(StanzaErrors.error(message, StanzaErrorCondition.FORBIDDEN,
                    "only moderators may invite people to this room"));
            return;
        }
        List<Entity> invitees = new ArrayList<>();
        for (XMLElement invite : userX.getInnerElementsNamed("invite", MUC_USER)) {
            Entity to = parseJid(invite.getAttributeValue("to"));
            if (to == null) {
                reply(StanzaErrors.error(message, StanzaErrorCondition.JID_MALFORMED, "invitation without a valid 'to'"));
                return;
            }
            if (to.getDomain().equals(jid.getDomain())) {
                // Only people are invited; a room never sends to another room (no lock ordering to get wrong).
                reply(StanzaErrors.error(message, StanzaErrorCondition.BAD_REQUEST, "only people can be invited"));
                return;
            }
            invitees.add(to);
        }
        boolean membersChanged = false;
        List<XMLElement> invites = userX.getInnerElementsNamed("invite", MUC_USER);
        for (int i = 0; i < invites.size(); i++) {
            Entity invitee = invitees.get(i);
            if (config.membersOnly() && inviterAffiliation.isAdminOrOwner()
                    && affiliationOf(invitee.getBareJID()) == Affiliation.NONE) {
                // §7.8.2: in a members-only room an admin's invitation makes the invitee a member.
                affiliations.put(invitee.getBareJID(), Affiliation.MEMBER);
                membersChanged = true;
            }
            String reason = MucXml.childText(invites.get(i), "reason", MUC_USER);
            StanzaBuilder b = new StanzaBuilder("message", MucXml.CLIENT)
                    .addAttribute("from", jid.getFullQualifiedName())
                    .addAttribute("to", invitee.getFullQualifiedName());
            b.startInnerElement("x", MUC_USER);
            b.startInnerElement("invite", MUC_USER).addAttribute("from", inviter.getFullQualifiedName());
            if (reason != null) {
                b.startInnerElement("reason", MUC_USER).addText(reason).endInnerElement();
            }
            b.endInnerElement();
            if (config.passwordProtected()) {
                b.startInnerElement("password", MUC_USER).addText(config.password()).endInnerElement();
            }
            b.endInnerElement();
            b.startInnerElement("body", MucXml.CLIENT).addText(inviter.getBareJID().getFullQualifiedName()
                    + " invites you to the room " + jid.getFullQualifiedName()
                    + (reason == null || reason.isBlank() ? "" : ": " + reason)).endInnerElement();
            out(b.build());
        }
        if (membersChanged) {
            saveLater();
        }
    }

    /** §7.8.2: an invitee declines; the room tells the inviter. */
    private void decline(Stanza message, Entity from, XMLElement userX) {
        XMLElement decline = userX.getInnerElementsNamed("decline", MUC_USER).get(0);
        Entity to = parseJid(decline.getAttributeValue("to"));
        if (to == null) {
            reply(StanzaErrors.error(message, StanzaErrorCondition.JID_MALFORMED, "decline without a valid 'to'"));
            return;
        }
        String reason = MucXml.childText(decline, "reason", MUC_USER);
        StanzaBuilder b = new StanzaBuilder("message", MucXml.CLIENT)
                .addAttribute("from", jid.getFullQualifiedName())
                .addAttribute("to", to.getFullQualifiedName());
        b.startInnerElement("x", MUC_USER);
        b.startInnerElement("decline", MUC_USER).addAttribute("from", from.getBareJID().getFullQualifiedName());
        if (reason != null) {
            b.startInnerElement("reason", MUC_USER).addText(reason).endInnerElement();
        }
        b.endInnerElement().endInnerElement();
        out(b.build());
    }

    private Stanza subjectMessage(Entity to) {
        Entity from = subjectBy == null ? jid : occupantJid(subjectBy);
        return new StanzaBuilder("message", MucXml.CLIENT)
                .addAttribute("from", from.getFullQualifiedName())
                .addAttribute("to", to.getFullQualifiedName())
                .addAttribute("type", "groupchat")
                .startInnerElement("subject", MucXml.CLIENT).addText(subject).endInnerElement()
                .build();
    }

    /** A history entry for a newcomer, stamped with when it was sent (XEP-0203). */
    private Stanza delayed(DiscussionHistory.Entry entry, Entity to) {
        return StanzaBuilder.createClone(entry.message(), true,
                        List.of(new Attribute("to", to.getFullQualifiedName())))
                .startInnerElement("delay", MucXml.DELAY)
                .addAttribute("from", jid.getFullQualifiedName())
                .addAttribute("stamp", entry.sent().truncatedTo(ChronoUnit.MILLIS).toString())
                .endInnerElement()
                .build();
    }

    // ---------------------------------------------------------------- IQ: admin (§8, §9)

    /** A muc#admin request; returns the reply. */
    synchronized Stanza admin(Stanza iq, Entity requester, XMLElement query, boolean set) {
        if (gone) {
            return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, null);
        }
        Affiliation requesterAffiliation = affiliationOf(requester.getBareJID());
        Occupant requesterOccupant = bySession.get(requester);
        List<XMLElement> items = query.getInnerElementsNamed("item", MUC_ADMIN);
        if (items.isEmpty()) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "no item");
        }
        return set ? adminSet(iq, items, requesterAffiliation, requesterOccupant)
                : adminGet(iq, items.get(0), requesterAffiliation, requesterOccupant);
    }

    private Stanza adminGet(Stanza iq, XMLElement item, Affiliation requesterAffiliation, Occupant requester) {
        StanzaBuilder result = StanzaErrors.result(iq).startInnerElement("query", MUC_ADMIN);
        Affiliation affiliation = Affiliation.parse(item.getAttributeValue("affiliation"));
        Role role = Role.parse(item.getAttributeValue("role"));
        if (affiliation != null && affiliation != Affiliation.NONE) {
            // §9.5, §10.5: affiliation lists are for admins and owners.
            if (!requesterAffiliation.isAdminOrOwner()) {
                return StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "only admins and owners may see this list");
            }
            affiliations.forEach((user, a) -> {
                if (a == affiliation) {
                    result.startInnerElement("item", MUC_ADMIN).addAttribute("affiliation", a.xml())
                            .addAttribute("jid", user.getFullQualifiedName());
                    nickOf(user).ifPresent(n -> result.addAttribute("nick", n));
                    result.endInnerElement();
                }
            });
        } else if (role != null && role != Role.NONE) {
            // §8.5, §9.8: role lists are for moderators.
            if (requester == null || requester.role() != Role.MODERATOR) {
                return StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "only moderators may see this list");
            }
            for (Occupant o : occupants.values()) {
                if (o.role() == role) {
                    result.startInnerElement("item", MUC_ADMIN).addAttribute("role", role.xml())
                            .addAttribute("affiliation", affiliationOf(o.user()).xml())
                            .addAttribute("nick", o.nick())
                            .addAttribute("jid", o.primarySession().getFullQualifiedName())
                            .endInnerElement();
                }
            }
        } else {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "ask for an affiliation or a role");
        }
        return result.endInnerElement().build();
    }

    private java.util.Optional<String> nickOf(Entity user) {
        return occupants.values().stream().filter(o -> o.user().equals(user)).map(Occupant::nick).findFirst();
    }

    private record RoleChange(Occupant target, Role role, String reason) {
    }

    private record AffiliationChange(Entity user, Affiliation affiliation, String reason) {
    }

    private Stanza adminSet(Stanza iq, List<XMLElement> items, Affiliation requesterAffiliation, Occupant requester) {
        List<RoleChange> roleChanges = new ArrayList<>();
        List<AffiliationChange> affiliationChanges = new ArrayList<>();
        Map<Entity, Affiliation> planned = new HashMap<>();
        for (XMLElement item : items) {
            String reason = MucXml.childText(item, "reason", MUC_ADMIN);
            String affiliationValue = item.getAttributeValue("affiliation");
            String roleValue = item.getAttributeValue("role");
            if (affiliationValue != null) {
                Affiliation target = Affiliation.parse(affiliationValue);
                if (target == null) {
                    return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "unknown affiliation " + affiliationValue);
                }
                Entity user;
                if (item.getAttributeValue("jid") != null) {
                    user = parseJid(item.getAttributeValue("jid"));
                    if (user == null) {
                        return StanzaErrors.error(iq, StanzaErrorCondition.JID_MALFORMED, null);
                    }
                    user = user.getBareJID();
                } else if (item.getAttributeValue("nick") != null && occupants.containsKey(item.getAttributeValue("nick"))) {
                    user = occupants.get(item.getAttributeValue("nick")).user();
                } else {
                    return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "an affiliation change needs a jid");
                }
                StanzaErrorCondition refusal = checkAffiliationChange(requesterAffiliation, user, target, planned);
                if (refusal != null) {
                    return StanzaErrors.error(iq, refusal, null);
                }
                planned.put(user, target);
                affiliationChanges.add(new AffiliationChange(user, target, reason));
            } else if (roleValue != null) {
                Role target = Role.parse(roleValue);
                String nick = item.getAttributeValue("nick");
                if (target == null || nick == null) {
                    return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "a role change needs a nick and a role");
                }
                Occupant occupant = occupants.get(nick);
                if (occupant == null) {
                    return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, "no occupant with that nickname");
                }
                StanzaErrorCondition refusal = checkRoleChange(requesterAffiliation, requester, occupant, target);
                if (refusal != null) {
                    return StanzaErrors.error(iq, refusal, null);
                }
                roleChanges.add(new RoleChange(occupant, target, reason));
            } else {
                return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "an item needs a role or an affiliation");
            }
        }
        String actor = requester == null ? null : requester.nick();
        for (RoleChange change : roleChanges) {
            if (!occupants.containsValue(change.target())) {
                continue;
            }
            if (change.role() == Role.NONE) {
                remove(change.target(), List.of(MucXml.KICKED), actor, change.reason());
            } else {
                change.target().role(change.role());
                broadcastPresence(change.target(), actor, change.reason());
            }
        }
        for (AffiliationChange change : affiliationChanges) {
            applyAffiliation(change.user(), change.affiliation(), actor, change.reason());
        }
        if (!affiliationChanges.isEmpty()) {
            saveLater();
        }
        return StanzaErrors.result(iq).build();
    }

    /** §8.2-8.4 and §9.6-9.7: who may change whose role. Null when allowed. */
    private StanzaErrorCondition checkRoleChange(Affiliation requesterAffiliation, Occupant requester,
                                                 Occupant target, Role role) {
        if (requester == null || requester.role() != Role.MODERATOR) {
            return StanzaErrorCondition.FORBIDDEN;
        }
        Affiliation targetAffiliation = affiliationOf(target.user());
        switch (role) {
            case MODERATOR -> {
                if (!requesterAffiliation.isAdminOrOwner()) {
                    return StanzaErrorCondition.FORBIDDEN;
                }
            }
            case PARTICIPANT -> {
                if (target.role() == Role.MODERATOR) {
                    // §9.7: an admin's or owner's moderator status cannot be revoked at all.
                    if (targetAffiliation.isAdminOrOwner()) {
                        return StanzaErrorCondition.NOT_ALLOWED;
                    }
                    if (!requesterAffiliation.isAdminOrOwner()) {
                        return StanzaErrorCondition.FORBIDDEN;
                    }
                }
            }
            case VISITOR, NONE -> {
                if (targetAffiliation.isAdminOrOwner() && !requesterAffiliation.outranks(targetAffiliation)) {
                    return StanzaErrorCondition.NOT_ALLOWED;
                }
                if (target.role() == Role.MODERATOR && !requesterAffiliation.isAdminOrOwner()) {
                    return StanzaErrorCondition.NOT_ALLOWED;
                }
            }
            default -> {
                return StanzaErrorCondition.BAD_REQUEST;
            }
        }
        return null;
    }

    /** §9 and §10: admins manage members and outcasts, owners everything; a room keeps an owner. */
    private StanzaErrorCondition checkAffiliationChange(Affiliation requesterAffiliation, Entity user,
                                                        Affiliation target, Map<Entity, Affiliation> planned) {
        if (!requesterAffiliation.isAdminOrOwner()) {
            return StanzaErrorCondition.FORBIDDEN;
        }
        Affiliation current = planned.getOrDefault(user, affiliations.getOrDefault(user, Affiliation.NONE));
        if (requesterAffiliation == Affiliation.ADMIN && (target.isAdminOrOwner() || current.isAdminOrOwner())) {
            return StanzaErrorCondition.NOT_ALLOWED;
        }
        if (current == Affiliation.OWNER && target != Affiliation.OWNER) {
            long owners = affiliations.entrySet().stream()
                    .filter(e -> planned.getOrDefault(e.getKey(), e.getValue()) == Affiliation.OWNER).count();
            if (owners <= 1) {
                return StanzaErrorCondition.CONFLICT; // §10.6: the last owner cannot step down
            }
        }
        return null;
    }

    private void applyAffiliation(Entity user, Affiliation affiliation, String actor, String reason) {
        if (affiliation == Affiliation.NONE) {
            affiliations.remove(user);
        } else {
            affiliations.put(user, affiliation);
        }
        for (Occupant o : new ArrayList<>(occupants.values())) {
            if (!o.user().equals(user)) {
                continue;
            }
            if (affiliation == Affiliation.OUTCAST) {
                remove(o, List.of(MucXml.BANNED), actor, reason); // §9.1
            } else if (affiliation == Affiliation.NONE && config.membersOnly()) {
                remove(o, List.of(MucXml.AFFILIATION_CHANGE), actor, reason); // §9.4
            } else {
                o.role(defaultRole(affiliation));
                broadcastPresence(o, actor, reason);
            }
        }
    }

    // ---------------------------------------------------------------- IQ: owner (§10)

    /** A muc#owner request; returns the reply. */
    synchronized Stanza owner(Stanza iq, Entity from, XMLElement query, boolean set) {
        if (gone) {
            return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, null);
        }
        if (affiliationOf(from.getBareJID()) != Affiliation.OWNER) {
            return StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "only owners may configure the room");
        }
        if (!set) {
            StanzaBuilder result = StanzaErrors.result(iq).startInnerElement("query", MUC_OWNER);
            ConfigForm.write(result, jid, config, usersWith(Affiliation.OWNER), usersWith(Affiliation.ADMIN),
                    host.maxHistoryLength());
            return result.endInnerElement().build();
        }
        XMLElement destroy = MucXml.child(query, "destroy", MUC_OWNER);
        if (destroy != null) {
            destroy(destroy);
            return StanzaErrors.result(iq).build();
        }
        XMLElement form = MucXml.child(query, "x", MucXml.DATA);
        if (form == null) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "expected a data form or <destroy/>");
        }
        if ("cancel".equals(form.getAttributeValue("type"))) {
            // §10.1.3: cancelling the initial configuration destroys the new room.
            if (locked) {
                destroy(null);
            }
            return StanzaErrors.result(iq).build();
        }
        if (!"submit".equals(form.getAttributeValue("type"))) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, "the form must be of type submit");
        }
        ConfigForm.Submission submission;
        try {
            submission = ConfigForm.read(form, config, host.maxHistoryLength());
        } catch (IllegalArgumentException e) {
            return StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, e.getMessage());
        }
        if (submission.owners() != null && submission.owners().isEmpty() && !usersWith(Affiliation.OWNER).isEmpty()) {
            return StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, "a room needs at least one owner");
        }
        reconfigure(submission);
        return StanzaErrors.result(iq).build();
    }

    private void reconfigure(ConfigForm.Submission submission) {
        RoomConfig old = config;
        boolean wasLocked = locked;
        config = submission.config();
        locked = false;
        history.capacity(config.historyLength());
        if (submission.owners() != null) {
            replaceAffiliationList(Affiliation.OWNER, submission.owners());
        }
        if (submission.admins() != null) {
            replaceAffiliationList(Affiliation.ADMIN, submission.admins());
        }
        if (!wasLocked) {
            // §10.2.1: tell the occupants what changed.
            Set<Integer> statuses = new LinkedHashSet<>();
            if (old.whoisAnyone() != config.whoisAnyone()) {
                statuses.add(config.whoisAnyone() ? MucXml.NOW_NON_ANONYMOUS : MucXml.NOW_SEMI_ANONYMOUS);
            }
            if (old.logging() != config.logging()) {
                statuses.add(config.logging() ? MucXml.LOGGING_ON : MucXml.LOGGING_OFF);
            }
            if (!old.equals(config) && statuses.isEmpty()) {
                statuses.add(MucXml.CONFIG_CHANGED);
            }
            if (!statuses.isEmpty()) {
                for (Occupant o : occupants.values()) {
                    for (Entity s : o.sessions()) {
                        out(MucXml.statusMessage(jid, s, statuses));
                    }
                }
            }
        }
        if (config.membersOnly() && !old.membersOnly()) {
            // §9.3: a room that becomes members-only removes the non-members, status 322.
            for (Occupant o : new ArrayList<>(occupants.values())) {
                if (affiliationOf(o.user()) == Affiliation.NONE) {
                    remove(o, List.of(MucXml.MEMBERS_ONLY), null, null);
                }
            }
        }
        saveLater();
        if (occupants.isEmpty() && !config.persistent() && !gone) {
            gone = true;
            host.discard(this);
        }
    }

    private void replaceAffiliationList(Affiliation affiliation, List<Entity> users) {
        Set<Entity> wanted = new LinkedHashSet<>();
        users.forEach(u -> wanted.add(u.getBareJID()));
        for (Entity current : usersWith(affiliation)) {
            if (!wanted.contains(current)) {
                applyAffiliation(current, Affiliation.NONE, null, null);
            }
        }
        for (Entity user : wanted) {
            if (affiliations.get(user) != affiliation) {
                applyAffiliation(user, affiliation, null, null);
            }
        }
    }

    private List<Entity> usersWith(Affiliation affiliation) {
        List<Entity> users = new ArrayList<>();
        affiliations.forEach((user, a) -> {
            if (a == affiliation) {
                users.add(user);
            }
        });
        return users;
    }

    /** §10.9: every occupant is told, with the alternate venue and reason, and the room disappears. */
    private void destroy(XMLElement request) {
        XMLElement notice = null;
        if (request != null) {
            XMLElementBuilder b = new XMLElementBuilder("destroy", MUC_USER);
            String alternate = request.getAttributeValue("jid");
            if (alternate != null) {
                b.addAttribute("jid", alternate);
            }
            String reason = MucXml.childText(request, "reason", MUC_OWNER);
            if (reason != null) {
                b.startInnerElement("reason", MUC_USER).addText(reason).endInnerElement();
            }
            String password = MucXml.childText(request, "password", MUC_OWNER);
            if (password != null) {
                b.startInnerElement("password", MUC_USER).addText(password).endInnerElement();
            }
            notice = b.build();
        } else {
            notice = new XMLElementBuilder("destroy", MUC_USER).build();
        }
        for (Occupant o : occupants.values()) {
            for (Entity s : o.sessions()) {
                out(MucXml.presence(occupantJid(o.nick()), s, "unavailable", List.of(),
                        MucXml.Item.of(Affiliation.NONE, Role.NONE, null), List.of(MucXml.SELF), notice));
                host.sessionLeft(s, this);
            }
        }
        occupants.clear();
        bySession.clear();
        gone = true;
        host.discard(this);
    }

    /** Room shutdown with the server: occupants are told with status 332. */
    synchronized void shutdown() {
        for (Occupant o : new ArrayList<>(occupants.values())) {
            remove(o, List.of(MucXml.SHUTDOWN), null, null);
        }
    }

    // ---------------------------------------------------------------- IQ: discovery and occupants

    /** §6.4: identity, features and the muc#roominfo form. */
    synchronized Stanza discoInfo(Stanza iq) {
        StanzaBuilder result = StanzaErrors.result(iq).startInnerElement("query", MucXml.DISCO_INFO);
        String node = MucXml.childIn(iq, MucXml.DISCO_INFO).getAttributeValue("node");
        if (node != null) {
            return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, null);
        }
        result.startInnerElement("identity", MucXml.DISCO_INFO).addAttribute("category", "conference")
                .addAttribute("type", "text").addAttribute("name", title()).endInnerElement();
        List<String> features = new ArrayList<>(List.of(MucXml.MUC, MucXml.DISCO_INFO, MucXml.DISCO_ITEMS,
                MucXml.STANZA_ID,
                MucXml.PING, MucXml.SELF_PING_OPTIMIZATION, Retraction.NS, Retraction.MODERATE_NS,
                config.publicRoom() ? "muc_public" : "muc_hidden",
                config.persistent() ? "muc_persistent" : "muc_temporary",
                config.membersOnly() ? "muc_membersonly" : "muc_open",
                config.moderated() ? "muc_moderated" : "muc_unmoderated",
                config.whoisAnyone() ? "muc_nonanonymous" : "muc_semianonymous",
                config.passwordProtected() ? "muc_passwordprotected" : "muc_unsecured"));
        if (logging()) {
            features.add(MessageArchive.MAM2);
            features.add(MessageArchive.MAM1);
        }
        String avatarHash = host.vcards() == null ? "" : host.vcards().hash(jid);
        if (host.vcards() != null) {
            features.add(RoomVcards.NS); // XEP-0486 §3
        }
        for (String f : features) {
            result.startInnerElement("feature", MucXml.DISCO_INFO).addAttribute("var", f).endInnerElement();
        }
        DataForm.start(result, "result", MucXml.MUC_ROOMINFO, null)
                .field("muc#roominfo_description", null, "Description", List.of(config.description()))
                .field("muc#roominfo_subject", null, "Subject", List.of(subject))
                .field("muc#roominfo_occupants", null, "Number of occupants", List.of(Integer.toString(occupants.size())))
                .field("muc#roomconfig_roomname", null, "Name", List.of(title()))
                .field("muc#roominfo_logs", null, null, List.of())
                .field("muc#roomconfig_changesubject", null, "Occupants may change the subject",
                        List.of(config.changeSubject() ? "1" : "0"))
                .field("muc#roominfo_avatarhash", "text-multi", "Avatar hash",
                        avatarHash.isEmpty() ? List.of() : List.of(avatarHash))
                .end();
        return result.endInnerElement().build();
    }

    /** §6.5: the occupants, when the room is public or the requester is in it. */
    synchronized Stanza discoItems(Stanza iq, Entity from) {
        StanzaBuilder result = StanzaErrors.result(iq).startInnerElement("query", MucXml.DISCO_ITEMS);
        if (config.publicRoom() || bySession.containsKey(from)) {
            for (Occupant o : occupants.values()) {
                result.startInnerElement("item", MucXml.DISCO_ITEMS)
                        .addAttribute("jid", occupantJid(o.nick()).getFullQualifiedName()).endInnerElement();
            }
        }
        return result.endInnerElement().build();
    }

    String title() {
        return config.name().isBlank() ? name : config.name();
    }

    /**
     * An IQ to an occupant JID. Requests from occupants are passed on to the occupant with the sender's
     * occupant JID (§7.5, XEP-0410 self-pings are answered here); answers are routed back to the session
     * that asked.
     */
    synchronized void occupantIq(Stanza iq, Entity from, String nick) {
        String type = iq.getAttributeValue("type");
        String id = iq.getAttributeValue("id");
        if ("result".equals(type) || "error".equals(type)) {
            Entity requester = pendingIqs.remove(from.getFullQualifiedName() + ' ' + id);
            Occupant responder = bySession.get(from);
            if (requester != null && responder != null) {
                out(StanzaBuilder.createClone(iq, true, List.of(
                        new Attribute("from", occupantJid(responder.nick()).getFullQualifiedName()),
                        new Attribute("to", requester.getFullQualifiedName()))).build());
            }
            return;
        }
        Occupant sender = bySession.get(from);
        XMLElement payload = iq.getFirstInnerElement();
        if (sender == null) {
            // §6.6: disco of an occupant by a non-occupant is a bad request; XEP-0410 expects not-acceptable
            // for anything else, meaning "you are not joined".
            boolean disco = payload != null && (MucXml.DISCO_INFO.equals(payload.getNamespaceURI())
                    || MucXml.DISCO_ITEMS.equals(payload.getNamespaceURI()));
            reply(StanzaErrors.error(iq, disco ? StanzaErrorCondition.BAD_REQUEST : StanzaErrorCondition.NOT_ACCEPTABLE,
                    "you are not in this room"));
            return;
        }
        Occupant target = occupants.get(nick);
        if (target == null) {
            reply(StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, "no such occupant"));
            return;
        }
        if (target == sender && payload != null && MucXml.PING.equals(payload.getNamespaceURI())) {
            reply(StanzaErrors.result(iq).build()); // XEP-0410 §3.2
            return;
        }
        Entity to = target.primarySession();
        pendingIqs.put(to.getFullQualifiedName() + ' ' + id, from);
        out(StanzaBuilder.createClone(iq, true, List.of(
                new Attribute("from", occupantJid(sender.nick()).getFullQualifiedName()),
                new Attribute("to", to.getFullQualifiedName()))).build());
    }

    private boolean logging() {
        return config.logging() && host.archive() != null;
    }

    /**
     * A XEP-0313 query on the room's archive: for anyone who may enter the room (occupants, and in a
     * members-only or password-protected room its members), when the room's messages are logged.
     */
    Stanza archiveQuery(Stanza iq, Entity from, XMLElement query) {
        synchronized (this) {
            if (!logging()) {
                return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, "this room keeps no archive");
            }
            Affiliation a = affiliationOf(from.getBareJID());
            boolean occupant = bySession.containsKey(from);
            if (a == Affiliation.OUTCAST || !occupant && config.membersOnly() && a == Affiliation.NONE) {
                return StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN, "only those who may enter may read the archive");
            }
            if (!occupant && config.passwordProtected() && a == Affiliation.NONE) {
                // A query carries no password: only those who gave it (occupants) or members may read (issue 17).
                return StanzaErrors.error(iq, StanzaErrorCondition.FORBIDDEN,
                        "enter the room with its password (or become a member) to read its archive");
            }
        }
        // The database read happens outside the room's lock: the room keeps talking meanwhile.
        return host.archive().query(iq, query, jid, host::send); // outside the lock: results straight to the requester
    }

    // ---------------------------------------------------------------- helpers

    /** The effective affiliation: server administrators own every room. */
    Affiliation affiliationOf(Entity user) {
        Entity bare = user.getBareJID();
        Affiliation a = affiliations.getOrDefault(bare, Affiliation.NONE);
        if (a != Affiliation.OUTCAST && host.isServerAdmin(bare)) {
            return Affiliation.OWNER;
        }
        return a;
    }

    /** §5.1.2 default roles: owners and admins moderate, visitors in a moderated room lack voice. */
    private Role defaultRole(Affiliation affiliation) {
        return switch (affiliation) {
            case OWNER, ADMIN -> Role.MODERATOR;
            case MEMBER -> Role.PARTICIPANT;
            case NONE -> config.moderated() ? Role.VISITOR : Role.PARTICIPANT;
            case OUTCAST -> Role.NONE;
        };
    }

    private Entity occupantJid(String nick) {
        return new EntityImpl(jid.getNode(), jid.getDomain(), nick);
    }

    private static Stanza addressed(Stanza stanza, Entity to) {
        return StanzaBuilder.createClone(stanza, true, List.of(new Attribute("to", to.getFullQualifiedName()))).build();
    }

    private void reply(Stanza stanza) {
        out(stanza);
    }

    // ---------------------------------------------------------------- outbox

    /**
     * What the room has to send or store, in order: appended under the room's lock (and by {@link #send}
     * after it), run by {@link #flush}.
     */
    private final Queue<Runnable> outbox = new ConcurrentLinkedQueue<>();
    /** Held by the one thread delivering the outbox; order comes from there being one. */
    private final ReentrantLock delivering = new ReentrantLock();

    /** Queues a stanza for delivery after the lock (its 'to' parsed on delivery through the JID cache). */
    private void out(Stanza stanza) {
        outbox.add(() -> host.send(stanza));
    }

    /** Queues a stanza whose addresses the room already knows. */
    private void out(RoutedStanza routed) {
        outbox.add(() -> host.send(routed));
    }

    /** Stores the room ({@link Host#save} takes its snapshot under the lock then) after the lock, in order. */
    private void saveLater() {
        outbox.add(() -> host.save(this));
    }

    /**
     * Queues {@code stanza} (an answer the service sends for the room) after everything the room queued so
     * far, and delivers.
     */
    void send(Stanza stanza) {
        out(stanza);
        flush();
    }

    /**
     * Delivers what the room queued, outside its lock, unless another thread is delivering already (it then
     * delivers this too, in order). Never called with the room's lock held.
     */
    void flush() {
        while (!outbox.isEmpty() && delivering.tryLock()) {
            try {
                // One batch of writes: a TCP event loop is woken once for all the occupants it serves (issue 18).
                WriteBatch.run(this::deliverOutbox);
            } finally {
                delivering.unlock();
            }
            // Looked at again after unlocking: what another thread queued while this one was finishing is
            // delivered by one of the two.
        }
    }

    private void deliverOutbox() {
        Runnable next;
        while ((next = outbox.poll()) != null) {
            try {
                next.run();
            } catch (RuntimeException e) {
                LOG.error("room {} could not deliver", jid, e); // only this one; the rest still go
            }
        }
    }

    /** A snapshot for the admin console (issue 20): configuration, owners and who is in the room. */
    synchronized RoomAdministration.RoomView view() {
        List<RoomAdministration.OccupantView> who = new ArrayList<>();
        for (Occupant o : occupants.values()) {
            who.add(new RoomAdministration.OccupantView(o.nick(), o.user().getBareJID().getFullQualifiedName(),
                    o.role().name().toLowerCase(Locale.ROOT),
                    affiliationOf(o.user()).name().toLowerCase(Locale.ROOT), o.sessions().size()));
        }
        List<String> owners = new ArrayList<>();
        for (Entity e : usersWith(Affiliation.OWNER)) {
            owners.add(e.getFullQualifiedName());
        }
        return new RoomAdministration.RoomView(jid.getFullQualifiedName(), config, List.copyOf(who), List.copyOf(owners),
                subject);
    }

    /**
     * A message from the room itself (its bare JID, like XEP-0045's status messages) to every occupant: the
     * service speaking, e.g. an administrator's notice. Not part of the discussion history or the archive.
     */
    synchronized boolean serviceMessage(String body) {
        if (gone) {
            return false;
        }
        for (Occupant o : occupants.values()) {
            for (Entity s : o.sessions()) {
                out(StanzaBuilder.createMessageStanza(jid, s,
                        MessageStanzaType.GROUPCHAT, null, body).build());
            }
        }
        return true;
    }

    static Entity parseJid(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            Entity e = EntityImpl.parse(value.strip());
            return e.getDomain() == null || e.getDomain().isEmpty() ? null : e;
        } catch (Exception e) {
            return null;
        }
    }
}
