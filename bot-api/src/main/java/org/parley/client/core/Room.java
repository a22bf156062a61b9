package org.parley.client.core;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smackx.delay.packet.DelayInformation;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.ParticipantStatusListener;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.EntityFullJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.jivesoftware.smackx.muc.MucEnterConfiguration;


/** A joined group chat room (XEP-0045). Obtained from {@link ParleyClient#join}. */
public final class Room {

    private volatile String subject;

    private final MultiUserChat muc;
    private final List<RoomListener> listeners = new CopyOnWriteArrayList<>();
    private volatile String nick;
    private volatile String password;
    private volatile boolean left;

    Room(MultiUserChat muc) {
        this.muc = muc;
        muc.addMessageListener(this::onMessage);
        muc.addParticipantStatusListener(new ParticipantStatusListener() {
            @Override
            public void joined(EntityFullJid participant) {
                String nick = participant.getResourceOrEmpty().toString();
                listeners.forEach(l -> l.occupantJoined(Room.this, nick));
            }

            @Override
            public void left(EntityFullJid participant) {
                String nick = participant.getResourceOrEmpty().toString();
                listeners.forEach(l -> l.occupantLeft(Room.this, nick));
            }
        });
        muc.addSubjectUpdatedListener((subject, from) -> {
            this.subject = subject;
            String by = from == null ? null : from.getResourceOrEmpty().toString();
            listeners.forEach(l -> l.subjectChanged(this, subject, by));
        });
    }

    /** The subject a room sends last when entering it (XEP-0045 §7.2.15), recorded before join() returns. */
    void subjectOnEntry(String subject) {
        this.subject = subject;
    }

    void joinedAs(String nick, String password) {
        this.nick = nick;
        this.password = password;
        this.left = false;
    }

    /** After a reconnection whose automatic re-join failed: enter again with the same nickname, no history. */
    void rejoin() throws Exception {
        if (left || nick == null) {
            return;
        }
        MucEnterConfiguration.Builder enter = muc.getEnterConfigurationBuilder(Resourcepart.from(nick)).requestNoHistory();
        if (password != null) {
            enter.withPassword(password);
        }
        muc.join(enter.build());
    }

    private void onMessage(Message message) {
        String nick = message.getFrom() == null ? "" : message.getFrom().getResourceOrEmpty().toString();
        String reactedTo = MessageExtras.reactionTarget(message);
        if (reactedTo != null) {
            java.util.Set<String> emojis = MessageExtras.reactions(message);
            listeners.forEach(l -> l.reactionsChanged(this, nick, reactedTo, emojis));
            return;
        }
        if (message.getBody() == null) {
            return;
        }
        DelayInformation delay = DelayInformation.from(message);
        // XEP-0444 §3 / XEP-0461: in a room, others refer to a message by the stanza-id the room assigned.
        org.jivesoftware.smackx.sid.element.StanzaIdElement byRoom =
                org.jivesoftware.smackx.sid.element.StanzaIdElement.getStanzaId(message);
        String id = byRoom != null && byRoom.getBy() != null && byRoom.getBy().equals(jid()) ? byRoom.getId()
                : message.getStanzaId();
        ChatMessage chatMessage = new ChatMessage(jid(), nick, message.getBody(),
                delay == null ? Instant.now() : delay.getStamp().toInstant(), delay != null,
                nick.equals(nickname()), id);
        String replaced = MessageExtras.replaced(message);
        if (replaced != null) {
            listeners.forEach(l -> l.messageCorrected(this, nick, replaced, chatMessage));
            return;
        }
        listeners.forEach(l -> l.messageReceived(this, chatMessage));
    }

    /** The room's bare address, e.g. {@code lobby@conference.example.org}. */
    public String jid() {
        return muc.getRoom().toString();
    }

    EntityBareJid bareJid() {
        return muc.getRoom();
    }

    MultiUserChat muc() {
        return muc;
    }

    /** Our nickname here, or null when not joined. */
    public String nickname() {
        return muc.getNickname() == null ? null : muc.getNickname().toString();
    }

    public boolean isJoined() {
        return muc.isJoined();
    }

    public void addListener(RoomListener listener) {
        listeners.add(listener);
    }

    public void removeListener(RoomListener listener) {
        listeners.remove(listener);
    }

    public void send(String text) throws SmackException.NotConnectedException, InterruptedException {
        muc.sendMessage(text);
    }

    /** The current occupants with their roles (ourselves included), in the order the room reported them. */
    public List<Occupant> occupants() {
        List<Occupant> result = new ArrayList<>();
        for (EntityFullJid jid : muc.getOccupants()) {
            org.jivesoftware.smackx.muc.Occupant occupant = muc.getOccupant(jid);
            if (occupant == null) {
                continue;
            }
            result.add(new Occupant(jid.getResourceOrEmpty().toString(),
                    occupant.getRole() == null ? "none" : occupant.getRole().name(),
                    occupant.getAffiliation() == null ? "none" : occupant.getAffiliation().name(),
                    occupant.getJid() == null ? null : occupant.getJid().asBareJid().toString()));
        }
        return result;
    }

    /** The subject, or null when none is set. */
    public String subject() {
        return subject == null || subject.isEmpty() ? null : subject;
    }

    public void changeSubject(String subject) throws SmackException.NoResponseException, XMPPException.XMPPErrorException,
            SmackException.NotConnectedException, InterruptedException {
        muc.changeSubject(subject);
    }

    /** Invites {@code user} (a bare address) with an optional reason. */
    public void invite(String user, String reason) throws SmackException.NotConnectedException, InterruptedException {
        try {
            muc.invite(JidCreate.entityBareFrom(user), reason);
        } catch (org.jxmpp.stringprep.XmppStringprepException e) {
            throw new IllegalArgumentException("not an address: " + user, e);
        }
    }

    /** Leaves the room. */
    public void leave() throws SmackException.NotConnectedException, InterruptedException {
        left = true;
        try {
            muc.leave();
        } catch (SmackException.NoResponseException | XMPPException.XMPPErrorException
                | org.jivesoftware.smackx.muc.MultiUserChatException.MucNotJoinedException e) {
            // we are out of the room either way
        }
    }

    @Override
    public String toString() {
        return jid();
    }
}
