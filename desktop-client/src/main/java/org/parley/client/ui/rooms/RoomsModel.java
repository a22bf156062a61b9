package org.parley.client.ui.rooms;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.parley.client.core.ChatMessage;
import org.parley.client.core.Invitation;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.PublicRoom;
import org.parley.client.core.Room;
import org.parley.client.core.RoomListener;
import org.parley.client.ui.Errors;
import org.parley.client.ui.Notifier;
import org.parley.client.ui.UiDispatch;

/**
 * Group chat (XEP-0045): browsing the public rooms, creating and joining rooms (with a password too), the
 * joined rooms with their transcripts, occupants and subjects, join and leave notices, invitations received
 * (accept or decline) and sent, unread counts and notifications. Used on the UI thread only.
 */
public final class RoomsModel {

    /** How many earlier messages of a room are shown on entering (read from its archive, XEP-0313). */
    public static final int HISTORY = 20;
    /** How far the archive's timestamp of a message may lie before the moment it arrived live here. */
    private static final long LIVE_ARCHIVE_SKEW_SECONDS = 5;

    /** Told (on the UI thread) when rooms or invitations change. */
    public interface Listener {
        default void joined(RoomSession session) {
        }

        default void changed(RoomSession session) {
        }

        default void left(RoomSession session) {
        }

        default void invitationsChanged() {
        }
    }

    private final ParleyClient client;
    private final UiDispatch dispatch;
    private final Notifier notifier;
    private final Map<String, RoomSession> sessions = new LinkedHashMap<>();
    /** The listener each joined room got, removed on leaving (the client keeps the Room for a later join). */
    private final Map<String, RoomListener> attached = new LinkedHashMap<>();
    private final List<Invitation> invitations = new ArrayList<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private String focused;
    private boolean windowActive = true;

    public RoomsModel(ParleyClient client, UiDispatch dispatch, Notifier notifier) {
        this.client = client;
        this.dispatch = dispatch;
        this.notifier = notifier;
        dispatch.onInvitation(client, invitation -> {
            invitations.add(invitation);
            notifier.notify("Invitation to " + invitation.room(),
                    (invitation.inviter() == null ? "Someone" : invitation.inviter()) + " invites you"
                            + (invitation.reason() == null ? "" : ": " + invitation.reason()));
            listeners.forEach(Listener::invitationsChanged);
        });
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public List<RoomSession> sessions() {
        return new ArrayList<>(sessions.values());
    }

    public RoomSession session(String jid) {
        return sessions.get(jid);
    }

    public List<Invitation> invitations() {
        return List.copyOf(invitations);
    }

    /** The public rooms of the server (disco#items of its MUC service). */
    public void browse(Consumer<List<PublicRoom>> done, Consumer<String> failed) {
        dispatch.background(client::publicRooms, done::accept, e -> failed.accept(Errors.describe(e)));
    }

    /** Null when the room and nickname can be used, otherwise what is wrong. */
    public static String check(String room, String nick) {
        if (room == null || room.isBlank()) {
            return "Enter a room name, e.g. lobby, or a full address like lobby@conference.example.org.";
        }
        if (room.trim().contains(" ") || room.trim().startsWith("@") || room.trim().endsWith("@")) {
            return "Not a room name: " + room.trim();
        }
        if (nick == null || nick.isBlank()) {
            return "Enter a nickname.";
        }
        return null;
    }

    /**
     * Enters {@code room} (a name on the server's MUC service, or a full address) as {@code nick}; a room that
     * does not exist yet is created, password-protected when {@code password} is given.
     */
    public void join(String room, String nick, String password, Consumer<RoomSession> done, Consumer<String> failed) {
        String problem = check(room, nick);
        if (problem != null) {
            failed.accept(problem);
            return;
        }
        String secret = password == null || password.isEmpty() ? null : password;
        dispatch.background(() -> client.join(room.trim(), nick.trim(), secret, 0), joined -> {
            RoomSession existing = sessions.get(joined.jid());
            if (existing != null) {
                done.accept(existing);
                return;
            }
            RoomSession session = new RoomSession(joined);
            sessions.put(joined.jid(), session);
            session.refreshOccupants();
            attached.put(joined.jid(), dispatch.onRoom(joined, listenerFor(session)));
            listeners.forEach(l -> l.joined(session));
            done.accept(session);
        }, e -> failed.accept("Cannot enter " + room.trim() + ": " + Errors.describe(e)));
    }

    /**
     * The room's own history replay (XEP-0045 §7.2.14) arrives before join() returns, before a listener can be
     * attached, so the room is entered without it and the recent messages are read from the room's archive
     * (XEP-0313) instead — which also covers anything said between entering and attaching the listener. A room
     * that keeps no archive starts empty.
     */
    private RoomListener listenerFor(RoomSession session) {
        dispatch.background(() -> client.history(session.jid(), HISTORY), history -> {
            List<RoomLine> lines = new ArrayList<>();
            for (ChatMessage m : history) {
                lines.add(new RoomLine(m.time(), m.from(), m.body(), false, m.outgoing(), true, m.id(), Map.of(), false));
            }
            // Live lines arrived while the archive query ran; keep them after the history. One that the archive
            // also returned (same sender and text, archived no earlier than shortly before it arrived) is dropped,
            // each archived line standing for at most one live line, so a genuine repeat is kept.
            List<RoomLine> unmatched = new ArrayList<>(lines);
            for (RoomLine l : session.lines()) {
                RoomLine same = l.notice() ? null : unmatched.stream()
                        .filter(h -> h.text().equals(l.text()) && java.util.Objects.equals(h.from(), l.from())
                                && !h.time().isBefore(l.time().minusSeconds(LIVE_ARCHIVE_SKEW_SECONDS)))
                        .findFirst().orElse(null);
                if (same != null) {
                    unmatched.remove(same);
                } else {
                    lines.add(l);
                }
            }
            session.replace(lines);
            changed(session);
        }, e -> {
            // no archive for this room: it starts empty
        });
        return new RoomListener() {
            @Override
            public void messageReceived(Room room, ChatMessage message) {
                session.add(new RoomLine(message.time(), message.from(), message.body(), false, message.outgoing(),
                        message.delayed(), message.id(), Map.of(), false));
                if (!message.outgoing() && !message.delayed()) {
                    if (!session.jid().equals(focused)) {
                        session.unread(session.unread() + 1);
                    }
                    if (!session.jid().equals(focused) || !windowActive) {
                        notifier.notify(session.name(), message.from() + ": " + message.body());
                    }
                }
                changed(session);
            }

            @Override
            public void reactionsChanged(Room room, String nick, String messageId, java.util.Set<String> emojis) {
                if (session.react(nick, messageId, emojis)) {
                    changed(session);
                }
            }

            @Override
            public void messageCorrected(Room room, String nick, String replacedId, ChatMessage correction) {
                if (session.correct(nick, replacedId, correction.body())) {
                    changed(session);
                }
            }

            @Override
            public void occupantJoined(Room room, String nick) {
                session.add(RoomLine.notice(nick + " joined"));
                session.refreshOccupants();
                changed(session);
            }

            @Override
            public void occupantLeft(Room room, String nick) {
                session.add(RoomLine.notice(nick + " left"));
                session.refreshOccupants();
                changed(session);
            }

            @Override
            public void subjectChanged(Room room, String subject, String by) {
                session.subject(subject);
                boolean none = subject == null || subject.isBlank();
                if (none && (by == null || by.isEmpty())) {
                    // XEP-0045 §7.2.15: every room sends its subject on entry, an empty one when it has none;
                    // that is not news ("The subject is now:" followed by nothing).
                } else if (none) {
                    session.add(RoomLine.notice(by + " cleared the subject"));
                } else {
                    session.add(RoomLine.notice(by == null || by.isEmpty() ? "The subject is now: " + subject
                            : by + " set the subject: " + subject));
                }
                changed(session);
            }
        };
    }

    /** Sends a message to the room; it shows up when the room echoes it back. */
    public void send(String jid, String text, Consumer<String> failed) {
        RoomSession session = sessions.get(jid);
        if (session == null || text == null || text.isBlank()) {
            return;
        }
        dispatch.background(() -> {
            session.room().send(text);
            return null;
        }, done -> {
        }, e -> failed.accept("Not sent: " + Errors.describe(e)));
    }

    /** Uploads a file (XEP-0363) and sends its link to the room; see the chats' {@code sendFile}. */
    public void sendFile(String jid, java.nio.file.Path file, java.util.function.LongConsumer progress,
            Consumer<String> failed) {
        dispatch.background(() -> client.sendFile(jid, file, (sent, total) -> dispatch.ui(() -> progress.accept(sent))),
                url -> progress.accept(-1), e -> {
                    progress.accept(-1);
                    failed.accept(org.parley.client.ui.FileSendPanel.describe(file, e));
                });
    }

    public void changeSubject(String jid, String subject, Consumer<String> failed) {
        RoomSession session = sessions.get(jid);
        if (session == null) {
            return;
        }
        dispatch.background(() -> {
            session.room().changeSubject(subject == null ? "" : subject.trim());
            return null;
        }, done -> {
        }, e -> failed.accept("Subject not changed: " + Errors.describe(e)));
    }

    /** Invites {@code user} (XEP-0045 §7.8.2 mediated invitation). */
    public void invite(String jid, String user, String reason, Consumer<String> failed) {
        RoomSession session = sessions.get(jid);
        String problem = org.parley.client.ui.roster.RosterModel.checkAddress(user);
        if (problem != null) {
            failed.accept(problem);
            return;
        }
        if (session == null) {
            return;
        }
        dispatch.background(() -> {
            session.room().invite(user.trim(), reason == null || reason.isBlank() ? null : reason.trim());
            return null;
        }, done -> {
            session.add(RoomLine.notice("Invited " + user.trim()));
            changed(session);
        }, e -> failed.accept("Not invited: " + Errors.describe(e)));
    }

    /** Accepts an invitation: enters the room (with the password the invitation carries). */
    public void accept(Invitation invitation, String nick, Consumer<RoomSession> done, Consumer<String> failed) {
        invitations.remove(invitation);
        listeners.forEach(Listener::invitationsChanged);
        join(invitation.room(), nick, invitation.password(), done, failed);
    }

    public void decline(Invitation invitation) {
        invitations.remove(invitation);
        listeners.forEach(Listener::invitationsChanged);
    }

    public void leave(String jid) {
        RoomSession session = sessions.remove(jid);
        if (session == null) {
            return;
        }
        RoomListener listener = attached.remove(jid);
        if (listener != null) {
            session.room().removeListener(listener);
        }
        if (jid.equals(focused)) {
            focused = null;
        }
        listeners.forEach(l -> l.left(session));
        dispatch.background(() -> {
            session.room().leave();
            return null;
        }, done -> {
        }, e -> {
            // gone from the room either way
        });
    }

    public void focus(String jid) {
        focused = jid;
        RoomSession session = jid == null ? null : sessions.get(jid);
        if (session != null && session.unread() > 0) {
            session.unread(0);
            changed(session);
        }
    }

    public void windowActive(boolean active) {
        windowActive = active;
    }

    public int totalUnread() {
        return sessions.values().stream().mapToInt(RoomSession::unread).sum();
    }

    private void changed(RoomSession session) {
        listeners.forEach(l -> l.changed(session));
    }
}
