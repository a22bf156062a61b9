package org.parley.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.AbstractXMPPConnection;
import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.MessageBuilder;
import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.packet.StreamError;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.packet.RosterPacket;
import org.jivesoftware.smackx.delay.packet.DelayInformation;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.EntityBareJid;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.gateway.testing.TestGateway;
import org.parley.server.testing.RosterWait;

/**
 * One server, three transports: a TCP user (Smack's classic connection, STARTTLS), a BOSH user (Smack's
 * XMPPBOSHConnection over HTTP on loopback) and a WebSocket user (Smack's modular connection, RFC 7395). They
 * log in, build their rosters with mutual subscriptions, see each other's presence and exchange messages in
 * every direction.
 */
class CrossTransportChatTest {

    @RegisterExtension
    static final TestGateway gateway = TestGateway.withUsers("tcp", "bosh", "ws");

    @Test
    void rosterPresenceAndMessagesInEveryDirection() throws Exception {
        AbstractXMPPConnection tcp = gateway.server().login("tcp", "tcp");
        AbstractXMPPConnection bosh = gateway.boshLogin("bosh");
        AbstractXMPPConnection ws = gateway.webSocketLogin("ws");
        List<AbstractXMPPConnection> all = List.of(tcp, bosh, ws);
        try {
            assertEquals("bosh@localhost/bosh", bosh.getUser().toString(), "the requested resource is bound");
            assertEquals("ws@localhost/websocket", ws.getUser().toString());

            Map<AbstractXMPPConnection, Roster> rosters = Map.of(tcp, Roster.getInstanceFor(tcp),
                    bosh, Roster.getInstanceFor(bosh), ws, Roster.getInstanceFor(ws));
            for (Roster roster : rosters.values()) {
                roster.setSubscriptionMode(Roster.SubscriptionMode.accept_all);
                roster.reloadAndWait();
            }
            // Available first: subscription requests go to available resources (RFC 6121 §3.1.3).
            for (AbstractXMPPConnection c : all) {
                c.sendStanza(c.getStanzaFactory().buildPresenceStanza().setStatus("on " + name(c)).build());
            }
            for (AbstractXMPPConnection from : all) {
                for (AbstractXMPPConnection to : all) {
                    if (from != to) {
                        rosters.get(from).createItemAndRequestSubscription(bare(to), null, null);
                    }
                }
            }
            for (AbstractXMPPConnection owner : all) {
                for (AbstractXMPPConnection contact : all) {
                    if (owner != contact) {
                        RosterWait.awaitEntry(rosters.get(owner), bare(contact),
                                e -> e.getType() == RosterPacket.ItemType.both);
                    }
                }
            }

            for (AbstractXMPPConnection owner : all) {
                for (AbstractXMPPConnection contact : all) {
                    if (owner != contact) {
                        Roster roster = rosters.get(owner);
                        RosterWait.await(roster, () -> {
                            Presence p = roster.getPresence(bare(contact));
                            return p.isAvailable() && ("on " + name(contact)).equals(p.getStatus());
                        }, name(owner) + " sees " + name(contact) + " online");
                    }
                }
            }

            Map<AbstractXMPPConnection, BlockingQueue<Message>> inboxes = Map.of(
                    tcp, inbox(tcp), bosh, inbox(bosh), ws, inbox(ws));
            for (AbstractXMPPConnection from : all) {
                for (AbstractXMPPConnection to : all) {
                    if (from != to) {
                        for (int i = 0; i < 5; i++) {
                            from.sendStanza(MessageBuilder.buildMessage().to(to.getUser()).ofType(Message.Type.chat)
                                    .setBody(name(from) + "->" + name(to) + " #" + i).build());
                        }
                    }
                }
            }
            for (AbstractXMPPConnection to : all) {
                List<String> bodies = new ArrayList<>();
                for (int n = 0; n < 10; n++) {
                    Message m = inboxes.get(to).poll(15, TimeUnit.SECONDS);
                    assertNotNull(m, name(to) + " received only " + bodies);
                    bodies.add(m.getBody());
                }
                for (AbstractXMPPConnection from : all) {
                    if (from != to) {
                        List<String> fromSender = bodies.stream().filter(b -> b.startsWith(name(from) + "->")).toList();
                        List<String> expected = new ArrayList<>();
                        for (int i = 0; i < 5; i++) {
                            expected.add(name(from) + "->" + name(to) + " #" + i);
                        }
                        assertEquals(expected, fromSender, "complete and in order (RFC 6120 §10.1)");
                    }
                }
            }
        } finally {
            all.forEach(AbstractXMPPConnection::disconnect);
        }
    }

    @Test
    void aNewerSessionTakingTheResourceEndsBoshAndWebSocketSessionsWithConflict() throws Exception {
        for (boolean overBosh : new boolean[] {true, false}) {
            AbstractXMPPConnection web = overBosh ? gateway.boshLogin("bosh") : gateway.webSocketLogin("ws");
            CompletableFuture<Exception> closed = new CompletableFuture<>();
            web.addConnectionListener(new ConnectionListener() {
                @Override
                public void connectionClosedOnError(Exception e) {
                    closed.complete(e);
                }
            });
            String resource = web.getUser().getResourcepart().toString();
            AbstractXMPPConnection tcp = gateway.server().login(name(web), resource);
            try {
                Exception error = closed.get(15, TimeUnit.SECONDS);
                assertTrue(error instanceof XMPPException.StreamErrorException se
                        && se.getStreamError().getCondition() == StreamError.Condition.conflict,
                        (overBosh ? "BOSH" : "WebSocket") + " client told conflict (RFC 6120 §7.7.2.2): " + error);
            } finally {
                tcp.disconnect();
                web.disconnect();
            }
        }
    }

    @Test
    void groupChatRoomAcrossTcpBoshAndWebSocket() throws Exception {
        AbstractXMPPConnection tcp = gateway.server().login("tcp", "room-tcp");
        AbstractXMPPConnection bosh = gateway.boshLogin("bosh");
        AbstractXMPPConnection ws = gateway.webSocketLogin("ws");
        List<AbstractXMPPConnection> all = List.of(tcp, bosh, ws);
        try {
            EntityBareJid lobby = JidCreate.entityBareFrom("lobby@conference.localhost");
            List<MultiUserChat> rooms = new java.util.ArrayList<>();
            List<BlockingQueue<String>> heard = new java.util.ArrayList<>();
            List<Semaphore> arrivals = new java.util.ArrayList<>();
            for (AbstractXMPPConnection c : all) {
                MultiUserChat room = MultiUserChatManager.getInstanceFor(c).getMultiUserChat(lobby);
                Semaphore arrived = new Semaphore(0);
                room.addParticipantListener(p -> arrived.release());
                arrivals.add(arrived);
                BlockingQueue<String> lines = new LinkedBlockingQueue<>();
                room.addMessageListener(m -> {
                    if (m.getBody() != null && DelayInformation.from(m) == null) {
                        lines.add(m.getFrom().getResourceOrEmpty() + ": " + m.getBody());
                    }
                });
                room.join(room.getEnterConfigurationBuilder(Resourcepart.from("nick-" + c.getUser().getLocalpart()))
                        .requestNoHistory().build());
                rooms.add(room);
                heard.add(lines);
            }
            for (int i = 0; i < 3; i++) {
                // Occupant i has seen its own presence and those of the others; later joiners' arrive afterwards.
                while (rooms.get(i).getOccupantsCount() < 3) {
                    assertTrue(arrivals.get(i).tryAcquire(10, TimeUnit.SECONDS), "occupant presence within 10 s");
                }
                assertEquals(3, rooms.get(i).getOccupantsCount(), "everyone sees all three, whatever their transport");
            }
            for (int sender = 0; sender < 3; sender++) {
                rooms.get(sender).sendMessage("hello from " + sender);
                String expected = "nick-" + all.get(sender).getUser().getLocalpart() + ": hello from " + sender;
                for (BlockingQueue<String> lines : heard) {
                    assertEquals(expected, lines.poll(10, TimeUnit.SECONDS),
                            "every occupant, on every transport, gets every message");
                }
            }
            BlockingQueue<Presence> left = new LinkedBlockingQueue<>();
            rooms.get(0).addParticipantListener(p -> {
                if (p.getType() == Presence.Type.unavailable) {
                    left.add(p);
                }
            });
            ws.instantShutdown(); // the WebSocket drops without a goodbye: the room still sees the leave
            Presence gone = left.poll(30, TimeUnit.SECONDS);
            assertEquals(JidCreate.from("lobby@conference.localhost/nick-ws"), gone == null ? null : gone.getFrom());
        } finally {
            tcp.disconnect();
            bosh.disconnect();
            ws.disconnect();
        }
    }

    private static BlockingQueue<Message> inbox(AbstractXMPPConnection connection) {
        BlockingQueue<Message> inbox = new LinkedBlockingQueue<>();
        connection.addSyncStanzaListener(s -> {
            Message m = (Message) s;
            if (m.getBody() != null) {
                inbox.add(m);
            }
        }, s -> s instanceof Message);
        return inbox;
    }

    static EntityBareJid bare(AbstractXMPPConnection connection) {
        return connection.getUser().asEntityBareJid();
    }

    private static String name(AbstractXMPPConnection connection) {
        return connection.getUser().getLocalpart().toString();
    }

    static BareJid jid(String bare) throws Exception {
        return JidCreate.bareFrom(bare);
    }
}
