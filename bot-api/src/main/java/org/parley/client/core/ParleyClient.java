package org.parley.client.core;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jivesoftware.smack.AbstractXMPPConnection;
import org.jivesoftware.smack.ConnectionConfiguration.SecurityMode;
import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.ReconnectionListener;
import org.jivesoftware.smack.ReconnectionManager;
import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.StanzaCollector;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.chat2.ChatManager;
import org.jivesoftware.smack.filter.AndFilter;
import org.jivesoftware.smack.filter.FromMatchesFilter;
import org.jivesoftware.smack.filter.MessageTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.PresenceBuilder;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.RosterEntry;
import org.jivesoftware.smack.roster.RosterGroup;
import org.jivesoftware.smack.roster.packet.RosterPacket;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smackx.carbons.CarbonManager;
import org.jivesoftware.smackx.chatstates.ChatStateManager;
import org.jivesoftware.smackx.delay.packet.DelayInformation;
import org.jivesoftware.smackx.forward.packet.Forwarded;
import org.jivesoftware.smackx.iqregister.AccountManager;
import org.jivesoftware.smackx.mam.MamManager;
import org.jivesoftware.smackx.mam.element.MamElements.MamResultExtension;
import org.jivesoftware.smackx.muc.HostedRoom;
import org.jivesoftware.smackx.muc.MucEnterConfiguration;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.DomainBareJid;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.Jid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Localpart;
import org.jxmpp.jid.parts.Resourcepart;
import org.jxmpp.stringprep.XmppStringprepException;
import org.slf4j.LoggerFactory;

/**
 * One account's connection to a Parley (or any XMPP) server, without UI: log in or register, follow the
 * {@link ConnectionState}, roster and presence, subscriptions, 1:1 chats with typing states, rooms and
 * history. TLS is required (STARTTLS) and the certificate is checked by {@link CertificateTrust}.
 *
 * <p>Listeners are called on Smack's threads; a UI hands them over to its own thread. After the connection
 * drops, Smack's ReconnectionManager logs in again every {@link ClientSettings#reconnectDelaySeconds()}
 * seconds and rooms are re-joined. The password lives in memory for that purpose only and is never stored.
 */
public final class ParleyClient implements AutoCloseable {

    private static final int REPLY_TIMEOUT_MS = 15_000;
    private static final int REJOIN_REPLY_TIMEOUT_MS = 4_000;

    private final ClientSettings settings;
    private final CertificateTrust trust;
    private final List<ConnectionStateListener> stateListeners = new CopyOnWriteArrayList<>();
    private final List<RosterListener> rosterListeners = new CopyOnWriteArrayList<>();
    private final List<ChatListener> chatListeners = new CopyOnWriteArrayList<>();
    private final List<java.util.function.Consumer<Invitation>> invitationListeners = new CopyOnWriteArrayList<>();
    private final Map<String, Room> rooms = new ConcurrentHashMap<>();

    private volatile XMPPTCPConnection connection;
    private volatile ConnectionState state = ConnectionState.DISCONNECTED;
    private volatile boolean closing;
    private volatile boolean sendInitialPresence = true;
    private volatile Presence lastPresence;

    public ParleyClient(ClientSettings settings, CertificateTrust trust) {
        this.settings = settings;
        this.trust = trust;
    }

    public ClientSettings settings() {
        return settings;
    }

    public CertificateTrust trust() {
        return trust;
    }

    public ConnectionState state() {
        return state;
    }

    /** Our full address once logged in, otherwise the bare one. */
    public String jid() {
        XMPPTCPConnection c = connection;
        return c != null && c.getUser() != null ? c.getUser().toString() : settings.jid();
    }

    public void addConnectionStateListener(ConnectionStateListener listener) {
        stateListeners.add(listener);
    }

    public void removeConnectionStateListener(ConnectionStateListener listener) {
        stateListeners.remove(listener);
    }

    public void addRosterListener(RosterListener listener) {
        rosterListeners.add(listener);
    }

    public void addChatListener(ChatListener listener) {
        chatListeners.add(listener);
    }

    public void addInvitationListener(java.util.function.Consumer<Invitation> listener) {
        invitationListeners.add(listener);
    }

    // ---------------------------------------------------------------- connection

    /**
     * Whether {@link #login} sends the initial presence itself (the default). A UI turns this off so that it can
     * attach its listeners first and then call {@link #setStatus}: the server delivers offline messages and
     * pending subscription requests in answer to the initial presence (XEP-0160, RFC 6121 §3.1.3), so they
     * cannot arrive before anyone listens. The last status set is sent again after a reconnection.
     */
    public void setSendInitialPresence(boolean send) {
        this.sendInitialPresence = send;
    }

    /**
     * Connects over STARTTLS and logs in. Throws {@link UntrustedCertificateException} when the server's
     * certificate is neither trusted by the system nor pinned: show its fingerprint, then
     * {@link CertificateTrust#trust} and call again.
     */
    public synchronized void login(String password) throws UntrustedCertificateException, IOException,
            InterruptedException, SmackException, XMPPException {
        if (connection != null && connection.isAuthenticated()) {
            throw new IllegalStateException("already logged in as " + jid());
        }
        closing = false;
        CertificateTrust.Checker checker = trust.checkerFor(settings.domain());
        XMPPTCPConnection c = new XMPPTCPConnection(configuration(checker, password, true));
        c.setReplyTimeout(REPLY_TIMEOUT_MS);
        // XEP-0198: acknowledgements and, when the server offers it, resumption. After a dropped connection the
        // reconnection then resumes the same session (nothing sent meanwhile is lost, rooms are kept) and falls
        // back to a fresh login when the server no longer knows the session. Smack's defaults, made explicit.
        c.setUseStreamManagement(true);
        c.setUseStreamManagementResumption(true);
        attach(c);
        connection = c;
        setState(ConnectionState.CONNECTING, null);
        try {
            c.connect().login();
        } catch (Exception e) {
            c.disconnect();
            connection = null;
            setState(ConnectionState.DISCONNECTED, e);
            rethrow(checker, e);
        }
        afterLogin(c);
    }

    /**
     * Creates the account by in-band registration (XEP-0077, over TLS only), then logs in. Fails with an
     * {@link XMPPException.XMPPErrorException} ({@code conflict}) when the name is taken.
     */
    public synchronized void register(String password) throws UntrustedCertificateException, IOException,
            InterruptedException, SmackException, XMPPException {
        CertificateTrust.Checker checker = trust.checkerFor(settings.domain());
        XMPPTCPConnection c = new XMPPTCPConnection(configuration(checker, null, false));
        c.setReplyTimeout(REPLY_TIMEOUT_MS);
        try {
            c.connect();
            AccountManager accounts = AccountManager.getInstance(c);
            accounts.sensitiveOperationOverInsecureConnection(false);
            accounts.createAccount(Localpart.from(settings.username()), password);
        } catch (Exception e) {
            rethrow(checker, e);
        } finally {
            c.disconnect();
        }
        login(password);
    }

    private static void rethrow(CertificateTrust.Checker checker, Exception e) throws UntrustedCertificateException,
            IOException, InterruptedException, SmackException, XMPPException {
        UntrustedCertificateException untrusted = checker.rejection();
        if (untrusted != null) {
            untrusted.addSuppressed(e);
            throw untrusted;
        }
        if (e instanceof IOException io) {
            throw io;
        }
        if (e instanceof InterruptedException interrupted) {
            throw interrupted;
        }
        if (e instanceof SmackException smack) {
            throw smack;
        }
        if (e instanceof XMPPException xmpp) {
            throw xmpp;
        }
        throw new IllegalStateException(e);
    }

    private XMPPTCPConnectionConfiguration configuration(CertificateTrust.Checker checker, String password,
            boolean withCredentials) throws XmppStringprepException {
        XMPPTCPConnectionConfiguration.Builder builder = XMPPTCPConnectionConfiguration.builder()
                .setXmppDomain(settings.domain())
                .setSecurityMode(SecurityMode.required)
                .setCustomX509TrustManager(checker)
                .setHostnameVerifier(checker)
                .setPort(settings.port())
                .setConnectTimeout(15_000)
                .setSendPresence(sendInitialPresence);
        builder.setHost(settings.host() != null ? settings.host() : settings.domain());
        if (withCredentials) {
            builder.setUsernameAndPassword(settings.username(), password);
        }
        if (settings.resource() != null) {
            builder.setResource(settings.resource());
        }
        return builder.build();
    }

    private void attach(XMPPTCPConnection c) {
        c.addConnectionListener(new ConnectionListener() {
            @Override
            public void authenticated(org.jivesoftware.smack.XMPPConnection connection, boolean resumed) {
                Presence again = lastPresence;
                if (!resumed && !sendInitialPresence && again != null) {
                    // A fresh session after a drop: Smack sends no presence of its own here (see
                    // setSendInitialPresence), so the last one set goes out again.
                    try {
                        c.sendStanza(again);
                    } catch (SmackException.NotConnectedException | InterruptedException e) {
                        LoggerFactory.getLogger(ParleyClient.class).debug("presence not re-sent: {}", e.toString());
                    }
                }
                if (state == ConnectionState.RECONNECTING && !resumed) {
                    afterReconnect(c);
                } else if (state == ConnectionState.RECONNECTING) {
                    setState(ConnectionState.ONLINE, null);
                }
            }

            @Override
            public void connectionClosed() {
                setState(ConnectionState.DISCONNECTED, null);
            }

            @Override
            public void connectionClosedOnError(Exception e) {
                // Shortened until the rooms are re-entered: see afterReconnect().
                c.setReplyTimeout(REJOIN_REPLY_TIMEOUT_MS);
                setState(closing ? ConnectionState.DISCONNECTED : ConnectionState.RECONNECTING, e);
            }
        });
        ReconnectionManager reconnection = ReconnectionManager.getInstanceFor(c);
        reconnection.setReconnectionPolicy(ReconnectionManager.ReconnectionPolicy.FIXED_DELAY);
        reconnection.setFixedDelay(settings.reconnectDelaySeconds());
        reconnection.enableAutomaticReconnection();
        reconnection.addReconnectionListener(new ReconnectionListener() {
            @Override
            public void reconnectingIn(int seconds) {
                setState(ConnectionState.RECONNECTING, null);
            }

            @Override
            public void reconnectionFailed(Exception e) {
                setState(ConnectionState.RECONNECTING, e);
            }
        });

        Roster roster = Roster.getInstanceFor(c);
        roster.setSubscriptionMode(Roster.SubscriptionMode.manual);
        roster.addSubscribeListener((from, presence) -> {
            // One step, like the web page: a request from someone we asked ourselves (we are subscribed to them, or
            // our request is still pending) is the answer to ours, so it is approved at once (RFC 6121 §3.1.3:
            // the usual client behaviour for "mutual" subscriptions). Servers with pre-approval (§3.4) answer
            // such requests themselves after addContact, this covers the others.
            RosterEntry entry = roster.getEntry(from.asBareJid());
            if (entry != null && (entry.isSubscriptionPending() || entry.getType() == RosterPacket.ItemType.to)) {
                return org.jivesoftware.smack.roster.SubscribeListener.SubscribeAnswer.Approve;
            }
            rosterListeners.forEach(l -> l.subscriptionRequested(from.asBareJid().toString()));
            return null; // answered later through accept/denySubscription
        });
        roster.addRosterListener(new org.jivesoftware.smack.roster.RosterListener() {
            @Override
            public void entriesAdded(Collection<Jid> addresses) {
                rosterListeners.forEach(RosterListener::rosterChanged);
            }

            @Override
            public void entriesUpdated(Collection<Jid> addresses) {
                rosterListeners.forEach(RosterListener::rosterChanged);
            }

            @Override
            public void entriesDeleted(Collection<Jid> addresses) {
                rosterListeners.forEach(RosterListener::rosterChanged);
            }

            @Override
            public void presenceChanged(Presence presence) {
                RosterEntry entry = roster.getEntry(presence.getFrom().asBareJid());
                if (entry != null) {
                    Contact contact = contact(roster, entry);
                    rosterListeners.forEach(l -> l.presenceChanged(contact));
                }
            }
        });

        ChatManager.getInstanceFor(c).addIncomingListener((from, message, chat) -> {
            DelayInformation delay = DelayInformation.from(message);
            ChatMessage m = new ChatMessage(from.toString(), from.toString(), message.getBody(),
                    delay == null ? Instant.now() : delay.getStamp().toInstant(), delay != null, false,
                    message.getStanzaId());
            String replaced = MessageExtras.replaced(message);
            if (replaced != null) {
                chatListeners.forEach(l -> l.messageCorrected(from.toString(), replaced, m));
            } else {
                chatListeners.forEach(l -> l.messageReceived(m));
            }
        });
        // Reactions carry no body, so the chat manager above never sees them (XEP-0444).
        c.addAsyncStanzaListener(stanza -> {
            Message message = (Message) stanza;
            String target = MessageExtras.reactionTarget(message);
            String from = message.getFrom().asBareJid().toString();
            java.util.Set<String> emojis = MessageExtras.reactions(message);
            chatListeners.forEach(l -> l.reactionsChanged(from, target, emojis));
        }, stanza -> stanza instanceof Message m && m.getFrom() != null && m.getType() != Message.Type.groupchat
                && m.getType() != Message.Type.error && MessageExtras.reactionTarget(m) != null);
        ChatStateManager.getInstance(c).addChatStateListener((chat, chatState, message) -> {
            String from = chat.getXmppAddressOfChatPartner().toString();
            chatListeners.forEach(l -> l.chatStateChanged(from, TypingState.of(chatState)));
        });

        MultiUserChatManager mucs = MultiUserChatManager.getInstanceFor(c);
        mucs.setAutoJoinOnReconnect(true);
        mucs.setAutoJoinSuccessCallback((muc, nick) -> rejoined(muc.getRoom().toString()));
        mucs.setAutoJoinFailedCallback((muc, e) -> {
            // Smack leaves before it re-enters; Parley does not answer the leave of an occupant that is already
            // gone, so Smack gives up: enter again ourselves.
            Room room = rooms.get(muc.getRoom().toString());
            try {
                if (room != null) {
                    room.rejoin();
                }
            } catch (Exception again) {
                LoggerFactory.getLogger(ParleyClient.class).warn("could not re-join {}: {}", muc.getRoom(), again.toString());
            }
            rejoined(muc.getRoom().toString());
        });
        mucs.addInvitationListener((conn, room, inviter, reason, password, message, invite) -> {
            Invitation invitation = new Invitation(room.getRoom().toString(),
                    inviter == null ? null : inviter.asBareJid().toString(), reason, password);
            invitationListeners.forEach(l -> l.accept(invitation));
        });
    }

    private volatile java.util.concurrent.CountDownLatch rejoining = new java.util.concurrent.CountDownLatch(0);

    private void rejoined(String room) {
        LoggerFactory.getLogger(ParleyClient.class).debug("re-joined {}", room);
        rejoining.countDown();
    }

    /**
     * After a reconnection (no stream resumption) Smack's MultiUserChatManager leaves and re-enters every room
     * the client was in. The old occupant is already gone server-side, so the leave gets no answer, Smack gives
     * up and the client enters again itself (see the failed callback). From the drop until the rooms are back
     * the reply timeout is shortened so that this takes seconds, and the client reports ONLINE once
     * every room is entered again (or failed), so ONLINE always means usable.
     */
    private void afterReconnect(XMPPTCPConnection c) {
        int count = MultiUserChatManager.getInstanceFor(c).getJoinedRooms().size();
        LoggerFactory.getLogger(ParleyClient.class).debug("reconnected, re-joining {} rooms", count);
        if (count == 0) {
            c.setReplyTimeout(REPLY_TIMEOUT_MS);
            setState(ConnectionState.ONLINE, null);
            return;
        }
        java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(count);
        rejoining = latch;
        Thread waiter = new Thread(() -> {
            try {
                latch.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            c.setReplyTimeout(REPLY_TIMEOUT_MS);
            setState(ConnectionState.ONLINE, null);
        }, "parley-rejoin");
        waiter.setDaemon(true);
        waiter.start();
    }

    private void afterLogin(XMPPTCPConnection c) {
        try {
            CarbonManager carbons = CarbonManager.getInstanceFor(c);
            if (carbons.isSupportedByServer()) {
                carbons.enableCarbonsAsync(null);
            }
        } catch (Exception e) {
            // carbons are a convenience; the client works without them
        }
        setState(ConnectionState.ONLINE, null);
    }

    private void setState(ConnectionState newState, Throwable cause) {
        if (state == newState && cause == null) {
            return;
        }
        state = newState;
        stateListeners.forEach(l -> l.stateChanged(newState, cause));
    }

    /** Logs out (unavailable presence, stream closed); reconnection stops. */
    public synchronized void logout() {
        closing = true;
        XMPPTCPConnection c = connection;
        if (c != null) {
            ReconnectionManager.getInstanceFor(c).disableAutomaticReconnection();
            c.disconnect();
        }
        rooms.clear();
        setState(ConnectionState.DISCONNECTED, null);
    }

    @Override
    public void close() {
        logout();
    }

    private XMPPTCPConnection online() {
        XMPPTCPConnection c = connection;
        if (c == null || !c.isAuthenticated()) {
            throw new IllegalStateException("not logged in");
        }
        return c;
    }

    /** For features the core does not wrap (yet): the Smack connection, or null before login. */
    public AbstractXMPPConnection smackConnection() {
        return connection;
    }

    // ---------------------------------------------------------------- presence and roster

    /** Sets our own presence and status message (null for none). */
    public void setStatus(Availability availability, String status) throws SmackException.NotConnectedException,
            InterruptedException {
        XMPPTCPConnection c = online();
        PresenceBuilder presence = c.getStanzaFactory().buildPresenceStanza()
                .ofType(availability == Availability.OFFLINE ? Presence.Type.unavailable : Presence.Type.available)
                .setMode(availability.mode());
        if (status != null) {
            presence.setStatus(status);
        }
        Presence built = presence.build();
        if (availability != Availability.OFFLINE) {
            lastPresence = built;
        }
        c.sendStanza(built);
    }

    /** The roster with presence, sorted by display name. Waits for the roster the first time. */
    public List<Contact> contacts() throws SmackException.NotLoggedInException, SmackException.NotConnectedException,
            InterruptedException {
        Roster roster = Roster.getInstanceFor(online());
        if (!roster.isLoaded()) {
            roster.reloadAndWait();
        }
        List<Contact> result = new ArrayList<>();
        for (RosterEntry entry : roster.getEntries()) {
            result.add(contact(roster, entry));
        }
        result.sort(Comparator.comparing(Contact::displayName, String.CASE_INSENSITIVE_ORDER));
        return result;
    }

    private static Contact contact(Roster roster, RosterEntry entry) {
        Presence presence = roster.getPresence(entry.getJid());
        Set<String> groups = new TreeSet<>();
        for (RosterGroup group : entry.getGroups()) {
            groups.add(group.getName());
        }
        return new Contact(entry.getJid().toString(), entry.getName(), groups, entry.getType().name(),
                entry.isSubscriptionPending(), Availability.of(presence), presence == null ? null : presence.getStatus());
    }

    /**
     * Adds {@code jid} to the roster and asks to see its presence. Where the server supports subscription
     * pre-approval (RFC 6121 §3.4) the contact is pre-approved first, so that their request back (the usual
     * answer) is approved by the server without asking us again.
     */
    public void addContact(String jid, String name, String... groups) throws Exception {
        Roster roster = Roster.getInstanceFor(online());
        EntityBareJid contact = bare(jid);
        if (roster.isSubscriptionPreApprovalSupported() && !roster.isSubscribedToMyPresence(contact)) {
            roster.preApprove(contact);
        }
        roster.createItemAndRequestSubscription(contact, name, groups);
    }

    /** A contact's name for display: the roster name, else the address's local part, else the address. */
    public String displayName(String jid) {
        XMPPTCPConnection c = connection;
        String bareJid = jid;
        int slash = jid.indexOf('/');
        if (slash > 0) {
            bareJid = jid.substring(0, slash);
        }
        if (c != null) {
            try {
                RosterEntry entry = Roster.getInstanceFor(c).getEntry(JidCreate.bareFrom(bareJid));
                if (entry != null && entry.getName() != null && !entry.getName().isBlank()) {
                    return entry.getName();
                }
            } catch (XmppStringprepException e) {
                return jid;
            }
        }
        int at = bareJid.indexOf('@');
        return at > 0 ? bareJid.substring(0, at) : bareJid;
    }

    /** Removes {@code jid} from the roster (and cancels both subscriptions). */
    public void removeContact(String jid) throws Exception {
        Roster roster = Roster.getInstanceFor(online());
        RosterEntry entry = roster.getEntry(bare(jid));
        if (entry != null) {
            roster.removeEntry(entry);
        }
    }

    /** Lets {@code jid} see our presence, and asks to see theirs if we do not yet (mutual friends). */
    public void acceptSubscription(String jid) throws Exception {
        XMPPTCPConnection c = online();
        EntityBareJid from = bare(jid);
        c.sendStanza(c.getStanzaFactory().buildPresenceStanza().ofType(Presence.Type.subscribed).to(from).build());
        Roster roster = Roster.getInstanceFor(c);
        if (!roster.iAmSubscribedTo(from)) {
            RosterEntry entry = roster.getEntry(from);
            if (entry == null || !entry.isSubscriptionPending()) {
                c.sendStanza(c.getStanzaFactory().buildPresenceStanza().ofType(Presence.Type.subscribe).to(from).build());
            }
        }
    }

    /** Refuses (or revokes) {@code jid}'s subscription to our presence. */
    public void denySubscription(String jid) throws Exception {
        XMPPTCPConnection c = online();
        c.sendStanza(c.getStanzaFactory().buildPresenceStanza().ofType(Presence.Type.unsubscribed).to(bare(jid)).build());
    }

    // ---------------------------------------------------------------- 1:1 chats

    /** Sends a chat message to {@code jid}. */
    /** Sends a chat message to {@code jid}; returns its id (what reactions and corrections of others name). */
    public String sendMessage(String jid, String body) throws SmackException.NotConnectedException, InterruptedException {
        XMPPTCPConnection c = online();
        Message message = c.getStanzaFactory().buildMessageStanza().setBody(body).build();
        ChatManager.getInstanceFor(c).chatWith(bare(jid)).send(message);
        return message.getStanzaId();
    }

    /** Sends a typing state (XEP-0085) to {@code jid}. */
    public void sendChatState(String jid, TypingState typing) throws SmackException.NotConnectedException,
            InterruptedException {
        XMPPTCPConnection c = online();
        ChatStateManager.getInstance(c).setCurrentState(typing.smack(), ChatManager.getInstanceFor(c).chatWith(bare(jid)));
    }

    // ---------------------------------------------------------------- rooms

    /** The MUC service of the server, e.g. {@code conference.example.org}. */
    public String conferenceService() throws Exception {
        List<DomainBareJid> services = MultiUserChatManager.getInstanceFor(online()).getMucServiceDomains();
        return services.isEmpty() ? "conference." + settings.domain() : services.get(0).toString();
    }

    /** Turns {@code lobby} into {@code lobby@conference.<domain>}; full addresses pass unchanged. */
    public String roomAddress(String room) throws Exception {
        return room.contains("@") ? room : room + "@" + conferenceService();
    }

    /** Whether the current session was resumed (XEP-0198) rather than logged in afresh after the last drop. */
    public boolean streamResumed() {
        XMPPTCPConnection c = connection;
        return c != null && c.streamWasResumed();
    }

    /**
     * Joins a room; one that does not exist is created, as an instant room, or password-protected when a
     * password is given. {@code password} may be null;
     * {@code historyMessages} is how many earlier messages the room replays, -1 for the room's default.
     */
    public Room join(String room, String nick, String password, int historyMessages) throws Exception {
        XMPPTCPConnection c = online();
        EntityBareJid jid = JidCreate.entityBareFrom(roomAddress(room));
        MultiUserChat muc = MultiUserChatManager.getInstanceFor(c).getMultiUserChat(jid);
        Room wrapper = rooms.computeIfAbsent(jid.toString(), k -> new Room(muc));
        MucEnterConfiguration.Builder enter = muc.getEnterConfigurationBuilder(Resourcepart.from(nick));
        if (password != null) {
            enter.withPassword(password);
        }
        if (historyMessages >= 0) {
            enter.requestMaxStanzasHistory(historyMessages);
        }
        // XEP-0045 §7.2.15: the subject comes last, after the occupants and the history; waiting for it makes a
        // returned Room complete (its subject known, its history delivered).
        StanzaCollector subject = c.createStanzaCollector(new AndFilter(FromMatchesFilter.create(jid),
                MessageTypeFilter.GROUPCHAT, s -> ((Message) s).getSubject() != null && ((Message) s).getBody() == null));
        try {
            MultiUserChat.MucCreateConfigFormHandle created = muc.createOrJoin(enter.build());
            if (created != null && password != null) {
                // A new room entered with a password becomes a password-protected room (XEP-0045 §10.1.3).
                created.getConfigFormManager().setAndEnablePassword(password).submitConfigurationForm();
            } else if (created != null) {
                created.makeInstant();
            }
            Message first = subject.nextResult(c.getReplyTimeout());
            if (first != null) {
                wrapper.subjectOnEntry(first.getSubject());
            }
        } finally {
            subject.cancel();
        }
        wrapper.joinedAs(nick, password);
        return wrapper;
    }

    /** Joins with the room's default history and no password. */
    public Room join(String room, String nick) throws Exception {
        return join(room, nick, null, -1);
    }

    /** A room we joined, or null. */
    public Room room(String roomJid) {
        return rooms.get(roomJid);
    }

    /** The rooms we are in. */
    public List<Room> joinedRooms() {
        return rooms.values().stream().filter(Room::isJoined).toList();
    }

    /** Public rooms of the server's MUC service (disco#items). */
    public List<PublicRoom> publicRooms() throws Exception {
        MultiUserChatManager mucs = MultiUserChatManager.getInstanceFor(online());
        List<PublicRoom> result = new ArrayList<>();
        for (DomainBareJid service : mucs.getMucServiceDomains()) {
            for (HostedRoom hosted : mucs.getRoomsHostedBy(service).values()) {
                result.add(new PublicRoom(hosted.getJid().toString(), hosted.getName()));
            }
        }
        result.sort(Comparator.comparing(PublicRoom::jid));
        return result;
    }

    // ---------------------------------------------------------------- files (XEP-0363) and reactions (XEP-0444)

    /** Told how much of an upload went out. */
    @FunctionalInterface
    public interface UploadProgress {
        void uploaded(long bytes, long total);
    }

    /** Whether the server offers HTTP File Upload (XEP-0363), found by service discovery. */
    public boolean canUploadFiles() throws Exception {
        org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager uploads =
                org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager.getInstanceFor(online());
        return uploads.isUploadServiceDiscovered() || uploads.discoverUploadService();
    }

    /**
     * Uploads a file to the server's upload service (XEP-0363) and returns its download address. The HTTPS
     * upload trusts what the XMPP connection trusts (the same pinned certificate for a self-signed server).
     * Throws {@link UnsupportedOperationException} when the server has no upload service.
     */
    public java.net.URL upload(java.nio.file.Path file, UploadProgress progress) throws Exception {
        XMPPTCPConnection c = online();
        if (!canUploadFiles()) {
            throw new UnsupportedOperationException("the server does not offer file upload (XEP-0363)");
        }
        org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager uploads =
                org.jivesoftware.smackx.httpfileupload.HttpFileUploadManager.getInstanceFor(c);
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, new javax.net.ssl.TrustManager[] {trust.checkerFor(settings.domain())}, null);
        uploads.setTlsContext(tls);
        return uploads.uploadFile(file.toFile(), progress == null ? null : progress::uploaded);
    }

    /**
     * Downloads a shared file (an upload URL someone sent, XEP-0363) into memory, at most {@code maxBytes}: a
     * larger file is refused with an {@link IOException} before more is read. HTTPS trusts what the XMPP
     * connection trusts (the same pinned certificate for a self-signed server); 30 s at most for the whole
     * transfer, body included.
     */
    public byte[] download(java.net.URI uri, long maxBytes) throws Exception {
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, new javax.net.ssl.TrustManager[] {trust.checkerFor(settings.domain())}, null);
        return Downloads.fetch(tls, uri, maxBytes, Downloads.WHOLE);
    }

    /**
     * Uploads {@code file} and sends its address to a contact or a joined room, with an out-of-band data
     * element (XEP-0066) so that clients show it as a file or picture rather than a link.
     */
    public java.net.URL sendFile(String to, java.nio.file.Path file, UploadProgress progress) throws Exception {
        java.net.URL url = upload(file, progress);
        XMPPTCPConnection c = online();
        Room room = rooms.get(bare(to).toString());
        Message message = c.getStanzaFactory().buildMessageStanza()
                .to(room != null ? room.bareJid() : bare(to))
                .ofType(room != null ? Message.Type.groupchat : Message.Type.chat)
                .setBody(url.toString())
                .addExtension(org.jivesoftware.smack.packet.StandardExtensionElement.builder("x", "jabber:x:oob")
                        .addElement("url", url.toString()).build())
                .build();
        c.sendStanza(message);
        return url;
    }

    /**
     * Reacts to a message (XEP-0444) with these emojis, replacing our earlier reactions to it (an empty set takes
     * them back). {@code to} is the contact or the joined room, {@code messageId} the message's
     * {@link ChatMessage#id()}.
     */
    public void react(String to, String messageId, Set<String> emojis) throws Exception {
        XMPPTCPConnection c = online();
        Room room = rooms.get(bare(to).toString());
        org.jivesoftware.smack.packet.StandardExtensionElement.Builder reactions =
                org.jivesoftware.smack.packet.StandardExtensionElement.builder("reactions", "urn:xmpp:reactions:0")
                        .addAttribute("id", messageId);
        for (String emoji : emojis) {
            reactions.addElement("reaction", emoji);
        }
        c.sendStanza(c.getStanzaFactory().buildMessageStanza()
                .to(room != null ? room.bareJid() : bare(to))
                .ofType(room != null ? Message.Type.groupchat : Message.Type.chat)
                .addExtension(reactions.build())
                .addExtension(org.jivesoftware.smack.packet.StandardExtensionElement.builder("store", "urn:xmpp:hints")
                        .build()) // XEP-0334: archive it although it has no body
                .build());
    }

    // ---------------------------------------------------------------- avatar (XEP-0084)

    /**
     * Publishes a PNG picture (at most 64 KiB; 96×96 is usual) as the account's avatar over PEP (XEP-0084),
     * where contacts' clients (the web page among them) pick it up. Returns its id (SHA-1, hex). Throws
     * {@link UnsupportedOperationException} when the server has no PEP.
     */
    public String setAvatar(byte[] png, int width, int height) throws Exception {
        return Avatars.publish(online(), png, width, height);
    }

    /** The id of someone's current avatar (XEP-0084 metadata), or null when they have none we may see. */
    public String avatarId(String jid) throws Exception {
        return Avatars.currentId(online(), bare(jid));
    }

    /**
     * Someone's current avatar picture (XEP-0084; Parley converts vCard avatars, XEP-0398, so Gajim users have
     * one too), as the image file's bytes, or null when they have none we may see.
     */
    public byte[] avatar(String jid) throws Exception {
        String id = avatarId(jid);
        return id == null ? null : Avatars.picture(online(), bare(jid), id);
    }

    // ---------------------------------------------------------------- bookmarks (XEP-0402 / XEP-0048)

    private volatile Bookmarks bookmarks;

    private Bookmarks bookmarkStore() {
        XMPPTCPConnection c = online();
        Bookmarks b = bookmarks;
        if (b == null || b.connection() != c) {
            b = new Bookmarks(c);
            bookmarks = b;
        }
        return b;
    }

    /** The account's bookmarked rooms (shared with its other clients, e.g. the web page). */
    public List<Bookmark> bookmarks() throws Exception {
        return bookmarkStore().list();
    }

    /** Bookmarks a room for the account (replacing an earlier bookmark of the same room). */
    public void addBookmark(Bookmark bookmark) throws Exception {
        Bookmarks store = bookmarkStore();
        store.list(); // decides where the account keeps its bookmarks
        store.add(bookmark);
    }

    /**
     * The rooms to enter at login: the bookmarks marked autojoin. An account without any bookmark (the first
     * login) gets {@code firstRoom} (e.g. {@code lobby}) bookmarked with autojoin, so the web page and the
     * account's other clients see it too; null for none. A failure to bookmark is logged, the room still
     * returned.
     */
    public List<Bookmark> autojoinRooms(String firstRoom) throws Exception {
        List<Bookmark> all = bookmarks();
        if (all.isEmpty() && firstRoom != null) {
            Bookmark first = new Bookmark(roomAddress(firstRoom), null, true, null, null);
            try {
                bookmarkStore().add(first);
            } catch (Exception e) {
                LoggerFactory.getLogger(ParleyClient.class).info("could not bookmark {}: {}", first.jid(), e.toString());
            }
            return List.of(first);
        }
        return all.stream().filter(Bookmark::autojoin).toList();
    }

    // ---------------------------------------------------------------- history

    /**
     * The latest {@code max} messages with a contact or in a joined room, oldest first, from the server's
     * archive (XEP-0313). Empty when the server (or room) keeps no archive.
     */
    public List<ChatMessage> history(String conversation, int max) throws Exception {
        XMPPTCPConnection c = online();
        EntityBareJid with = bare(conversation);
        Room room = rooms.get(with.toString());
        MamManager mam = room != null ? MamManager.getInstanceFor(room.muc()) : MamManager.getInstanceFor(c);
        if (!mam.isSupported()) {
            return List.of();
        }
        MamManager.MamQuery query = mam.queryMostRecentPage(room != null ? null : with, max);
        BareJid me = c.getUser().asBareJid();
        List<ChatMessage> result = new ArrayList<>();
        for (MamResultExtension result1 : query.getMamResultExtensions()) {
            Forwarded<Message> forwarded = result1.getForwarded();
            Message message = forwarded.getForwardedStanza();
            if (message.getBody() == null) {
                continue;
            }
            Instant time = forwarded.getDelayInformation() != null
                    ? forwarded.getDelayInformation().getStamp().toInstant() : Instant.now();
            String from;
            boolean outgoing;
            if (room != null) {
                from = message.getFrom() == null ? "" : message.getFrom().getResourceOrEmpty().toString();
                outgoing = from.equals(room.nickname());
            } else {
                outgoing = message.getFrom() != null && message.getFrom().asBareJid().equals(me);
                from = outgoing ? me.toString() : with.toString();
            }
            // The archive's id of a room message is the room's stanza-id (XEP-0313 §5.1.2), what reactions name.
            result.add(new ChatMessage(with.toString(), from, message.getBody(), time, true, outgoing,
                    room != null ? result1.getId() : message.getStanzaId()));
        }
        return result;
    }

    private static EntityBareJid bare(String jid) {
        try {
            return JidCreate.entityBareFrom(jid);
        } catch (XmppStringprepException e) {
            throw new IllegalArgumentException("not an address: " + jid, e);
        }
    }
}
