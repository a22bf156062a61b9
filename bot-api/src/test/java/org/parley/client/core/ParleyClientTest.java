package org.parley.client.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.client.core.Clients.login;
import static org.parley.client.core.Clients.next;
import static org.parley.client.core.Clients.until;

import java.util.List;
import java.util.concurrent.BlockingQueue;

import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.StanzaError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.server.testing.TestServer;

/** The client core against a real Parley server over real sockets. */
class ParleyClientTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol", "dave", "erin", "frank");

    private static final String LOBBY = "lobby@conference.localhost";

    @Test
    void friendsSubscribeSeePresenceChatWithTypingStatesAndReadHistory() throws Exception {
        ParleyClient alice = Clients.client(server, "alice");
        ParleyClient bob = Clients.client(server, "bob");
        BlockingQueue<Object> aliceEvents = Clients.queue();
        BlockingQueue<Object> bobEvents = Clients.queue();
        try {
            alice.addConnectionStateListener((state, cause) -> aliceEvents.add(state));
            alice.addRosterListener(recorder(aliceEvents));
            List<String> aliceAsked = new java.util.concurrent.CopyOnWriteArrayList<>();
            alice.addRosterListener(new RosterListener() {
                @Override
                public void subscriptionRequested(String jid) {
                    aliceAsked.add(jid);
                }
            });
            bob.addRosterListener(recorder(bobEvents));
            alice.addChatListener(chatRecorder(aliceEvents));
            bob.addChatListener(chatRecorder(bobEvents));
            alice.login(TestServer.PASSWORD);
            bob.login(TestServer.PASSWORD);
            assertEquals(ConnectionState.ONLINE, alice.state());
            assertTrue(alice.jid().startsWith("alice@localhost/"), alice.jid());
            assertEquals(List.of(), alice.contacts());

            alice.addContact("bob@localhost", "Bob", "Friends");
            next(bobEvents, e -> e.equals("subscribe:alice@localhost"), "bob is asked by alice");
            bob.acceptSubscription("alice@localhost"); // and asks back
            // One step for alice: bob's request answers hers, so she is not asked again (RFC 6121 §3.4
            // pre-approval, or the client approving a request from someone it asked).
            until(aliceEvents, () -> has(alice, "bob@localhost", "both", Availability.AVAILABLE), "bob online, mutual");
            until(bobEvents, () -> has(bob, "alice@localhost", "both", Availability.AVAILABLE), "alice online, mutual");
            assertEquals(List.of(), aliceAsked, "alice was not asked to accept bob");
            Contact bobSeen = alice.contacts().get(0);
            assertEquals("Bob", bobSeen.displayName());
            assertEquals(java.util.Set.of("Friends"), bobSeen.groups());

            bob.setStatus(Availability.AWAY, "at lunch");
            Contact away = (Contact) next(aliceEvents,
                    e -> e instanceof Contact c && c.availability() == Availability.AWAY, "bob away");
            assertEquals("at lunch", away.status());

            alice.sendChatState("bob@localhost", TypingState.COMPOSING);
            next(bobEvents, e -> e.equals("typing:alice@localhost:COMPOSING"), "bob sees alice typing");
            alice.sendMessage("bob@localhost", "hi bob");
            ChatMessage received = (ChatMessage) next(bobEvents, e -> e instanceof ChatMessage, "bob gets the message");
            assertEquals("alice@localhost", received.from());
            assertEquals("hi bob", received.body());
            bob.sendMessage("alice@localhost", "hi alice");
            next(aliceEvents, e -> e instanceof ChatMessage m && m.body().equals("hi alice"), "alice gets the answer");

            List<ChatMessage> history = alice.history("bob@localhost", 10);
            assertEquals(List.of("hi bob", "hi alice"), history.stream().map(ChatMessage::body).toList());
            assertTrue(history.get(0).outgoing());
            assertEquals("bob@localhost", history.get(1).from());

            alice.removeContact("bob@localhost");
            until(aliceEvents, () -> contacts(alice).isEmpty(), "bob removed");
        } finally {
            alice.close();
            bob.close();
        }
        assertEquals(ConnectionState.DISCONNECTED, alice.state());
    }

    @Test
    void roomsJoinTalkListOccupantsSubjectInvitationsAndHistory() throws Exception {
        ParleyClient carol = login(server, "carol");
        ParleyClient dave = login(server, "dave");
        ParleyClient erin = login(server, "erin");
        BlockingQueue<Object> carolEvents = Clients.queue();
        BlockingQueue<Invitation> invitations = Clients.queue();
        try {
            assertTrue(carol.publicRooms().stream().anyMatch(r -> r.jid().equals(LOBBY)), "the lobby is listed");
            Room lobby = carol.join("lobby", "carol", null, 0);
            assertEquals(LOBBY, lobby.jid());
            lobby.addListener(roomRecorder(carolEvents));
            Room davesLobby = dave.join(LOBBY, "dave", null, 0);
            next(carolEvents, e -> e.equals("joined:dave"), "carol sees dave join");
            List<Occupant> occupants = lobby.occupants();
            assertEquals(java.util.Set.of("carol", "dave"),
                    occupants.stream().map(Occupant::nick).collect(java.util.stream.Collectors.toSet()));
            occupants.forEach(o -> assertNotNull(o.role()));

            davesLobby.send("hello room");
            ChatMessage m = (ChatMessage) next(carolEvents, e -> e instanceof ChatMessage c && !c.delayed(), "message");
            assertEquals("dave", m.from());
            assertEquals("hello room", m.body());
            List<ChatMessage> history = carol.history(LOBBY, 5);
            assertEquals("hello room", history.get(history.size() - 1).body());
            assertEquals("dave", history.get(history.size() - 1).from());

            davesLobby.leave();
            next(carolEvents, e -> e.equals("left:dave"), "carol sees dave leave");

            Room team = carol.join("team", "carol");
            team.addListener(roomRecorder(carolEvents));
            team.changeSubject("release planning");
            next(carolEvents, e -> e.equals("subject:release planning"), "subject");
            assertEquals("release planning", team.subject());
            erin.addInvitationListener(invitations::add);
            team.invite("erin@localhost", "join us");
            Invitation invitation = next(invitations, i -> true, "erin is invited");
            assertEquals("team@conference.localhost", invitation.room());
            assertEquals("join us", invitation.reason());
            Room erinsTeam = erin.join(invitation.room(), "erin", invitation.password(), -1);
            assertEquals("release planning", erinsTeam.subject());
            assertEquals("moderator", erinsTeam.occupants().stream()
                    .filter(o -> o.nick().equals("carol")).findFirst().orElseThrow().role());
        } finally {
            carol.close();
            dave.close();
            erin.close();
        }
    }

    @Test
    void reconnectsAfterTheServerDropsTheConnection() throws Exception {
        ParleyClient frank = Clients.client(server, "frank");
        ParleyClient carol = login(server, "carol");
        BlockingQueue<Object> events = Clients.queue();
        try {
            frank.addConnectionStateListener((state, cause) -> events.add(state));
            frank.addChatListener(chatRecorder(events));
            frank.login(TestServer.PASSWORD);
            Room lobby = frank.join("lobby", "frank", null, 0);
            server.server().endSessionsOf(EntityImpl.parse("frank@localhost"));
            next(events, e -> e == ConnectionState.RECONNECTING, "the drop is visible");
            next(events, e -> e == ConnectionState.ONLINE, "back online");
            carol.sendMessage("frank@localhost", "still there?");
            next(events, e -> e instanceof ChatMessage m && m.body().equals("still there?"), "messages flow again");
            BlockingQueue<Object> roomEvents = Clients.queue();
            lobby.addListener(roomRecorder(roomEvents));
            Room carols = carol.join("lobby", "carol-r", null, 0);
            carols.send("welcome back");
            next(roomEvents, e -> e instanceof ChatMessage m && m.body().equals("welcome back"), "room re-joined");
        } finally {
            frank.close();
            carol.close();
        }
    }

    @Test
    void registersANewAccountInBand() throws Exception {
        ParleyClient newbie = Clients.client(server, "newbie");
        try {
            newbie.register("newbie-password");
            assertEquals(ConnectionState.ONLINE, newbie.state());
        } finally {
            newbie.close();
        }
        ParleyClient again = Clients.client(server, "newbie");
        XMPPException.XMPPErrorException taken = assertThrows(XMPPException.XMPPErrorException.class,
                () -> again.register("other"));
        assertEquals(StanzaError.Condition.conflict, taken.getStanzaError().getCondition());
    }

    private static boolean has(ParleyClient client, String jid, String subscription, Availability availability) {
        return contacts(client).stream().anyMatch(c -> c.jid().equals(jid) && c.subscription().equals(subscription)
                && c.availability() == availability);
    }

    private static List<Contact> contacts(ParleyClient client) {
        try {
            return client.contacts();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static RosterListener recorder(BlockingQueue<Object> events) {
        return new RosterListener() {
            @Override
            public void rosterChanged() {
                events.add("roster");
            }

            @Override
            public void presenceChanged(Contact contact) {
                events.add(contact);
            }

            @Override
            public void subscriptionRequested(String jid) {
                events.add("subscribe:" + jid);
            }
        };
    }

    static ChatListener chatRecorder(BlockingQueue<Object> events) {
        return new ChatListener() {
            @Override
            public void messageReceived(ChatMessage message) {
                events.add(message);
            }

            @Override
            public void chatStateChanged(String jid, TypingState state) {
                events.add("typing:" + jid + ":" + state);
            }
        };
    }

    static RoomListener roomRecorder(BlockingQueue<Object> events) {
        return new RoomListener() {
            @Override
            public void messageReceived(Room room, ChatMessage message) {
                events.add(message);
            }

            @Override
            public void occupantJoined(Room room, String nick) {
                events.add("joined:" + nick);
            }

            @Override
            public void occupantLeft(Room room, String nick) {
                events.add("left:" + nick);
            }

            @Override
            public void subjectChanged(Room room, String subject, String by) {
                events.add("subject:" + subject);
            }
        };
    }
}
