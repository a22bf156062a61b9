package org.parley.server.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jivesoftware.smack.ConnectionListener;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.IQ;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.packet.StreamError;
import org.jivesoftware.smack.sasl.SASLErrorException;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smackx.commands.AdHocCommand;
import org.jivesoftware.smackx.commands.AdHocCommandManager;
import org.jivesoftware.smackx.commands.AdHocCommandResult;
import org.jivesoftware.smackx.muc.MultiUserChat;
import org.jivesoftware.smackx.muc.MultiUserChatManager;
import org.jivesoftware.smackx.muc.UserStatusListener;
import org.jivesoftware.smackx.xdata.form.FillableForm;
import org.jivesoftware.smackx.xdata.packet.DataForm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.jid.parts.Resourcepart;
import org.parley.server.testing.TestServer;

/**
 * The admin commands of issue 20 over real sockets with Smack clients: XEP-0050 §4.6 errors (forbidden for a
 * non-admin, bad-sessionid for a forged or someone else's session id, bad-payload for a form with a required field
 * missing), and what each action does to other users' clients (stream errors, the XEP-0045 §10.9 destroy).
 */
class AdminCommandsProtocolTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("admin", "bob", "carol", "dave");

    private static final String ADMIN = "http://jabber.org/protocol/admin";
    private static final String PARLEY = "urn:parley:admin:0";

    private static AdHocCommand command(XMPPTCPConnection c, String node) throws Exception {
        return AdHocCommandManager.getInstance(c).getRemoteCommand(JidCreate.from("localhost"), node);
    }

    /** Runs a one-form command with these answers; returns the completed result. */
    private static AdHocCommandResult run(XMPPTCPConnection c, String node, String... answers) throws Exception {
        AdHocCommand command = command(c, node);
        AdHocCommandResult.StatusExecuting first = command.execute().asExecutingOrThrow();
        FillableForm form = first.getFillableForm();
        for (int i = 0; i + 1 < answers.length; i += 2) {
            if (form.getField(answers[i]).getType() == org.jivesoftware.smackx.xdata.FormField.Type.jid_multi) {
                form.setAnswer(answers[i], List.of(answers[i + 1]));
            } else {
                form.setAnswer(answers[i], answers[i + 1]);
            }
        }
        return command.complete(form.getSubmitForm());
    }

    /** XEP-0050 §4.6: {@code bad-request} with the commands namespace's {@code specific} condition. */
    private static void assertBadRequest(StanzaError e, String specific) {
        assertEquals(StanzaError.Condition.bad_request, e.getCondition(), e.toXML().toString());
        assertNotNull(e.getExtension(specific, "http://jabber.org/protocol/commands"), e.toXML().toString());
    }

    /** A {@code <command/>} continuing a session by id, as a client that made the id up would send it. */
    private static final class Continue extends IQ {
        private final String node;
        private final String sessionId;
        private final String form;

        Continue(String node, String sessionId) {
            this(node, sessionId, "<x xmlns='jabber:x:data' type='submit'><field var='accountjids'><value>bob@localhost</value></field></x>");
        }

        Continue(String node, String sessionId, String form) {
            super("command", "http://jabber.org/protocol/commands");
            this.node = node;
            this.sessionId = sessionId;
            this.form = form;
            setType(Type.set);
        }

        @Override
        protected IQChildElementXmlStringBuilder getIQChildElementBuilder(IQChildElementXmlStringBuilder xml) {
            xml.attribute("node", node).attribute("sessionid", sessionId).attribute("action", "complete");
            xml.rightAngleBracket();
            xml.append(form);
            return xml;
        }
    }

    private static StanzaError continueError(XMPPTCPConnection c, String node, String sessionId) throws Exception {
        return continueError(c, new Continue(node, sessionId));
    }

    private static StanzaError continueError(XMPPTCPConnection c, Continue iq) throws Exception {
        iq.setTo(JidCreate.from("localhost"));
        XMPPException.XMPPErrorException e = assertThrows(XMPPException.XMPPErrorException.class,
                () -> c.sendIqRequestAndWaitForResponse(iq));
        return e.getStanzaError();
    }

    @Test
    void xep0050_4_6_aForgedOrForeignSessionIdIsBadSessionid() throws Exception {
        XMPPTCPConnection admin = server.login("admin");
        XMPPTCPConnection other = server.login("admin", "second");
        try {
            String node = ADMIN + "#delete-user";
            StanzaError forged = continueError(admin, node, "made-up-session-id");
            assertBadRequest(forged, "bad-sessionid");
            // A real session id, but started by another session of the same admin: not this requester's.
            AdHocCommand started = command(admin, node);
            String id = started.execute().asExecutingOrThrow().getResponse().getSessionId();
            StanzaError foreign = continueError(other, node, id);
            assertBadRequest(foreign, "bad-sessionid");
            assertTrue(server.server().accounts().exists("bob"), "nothing was deleted");
        } finally {
            admin.disconnect();
            other.disconnect();
        }
    }

    @Test
    void xep0133_aNonAdminIsForbiddenAndSeesNoCommands() throws Exception {
        XMPPTCPConnection carol = server.login("carol");
        try {
            XMPPException.XMPPErrorException e = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> command(carol, ADMIN + "#add-user").execute());
            assertEquals(StanzaError.Condition.forbidden, e.getStanzaError().getCondition());
            assertTrue(AdHocCommandManager.getInstance(carol).discoverCommands(JidCreate.from("localhost"))
                    .getItems().isEmpty());
        } finally {
            carol.disconnect();
        }
    }

    @Test
    void xep0050_4_6_aMissingRequiredFieldIsBadPayloadAndNothingChanges() throws Exception {
        XMPPTCPConnection admin = server.login("admin");
        try {
            String node = ADMIN + "#add-user";
            String id = command(admin, node).execute().asExecutingOrThrow().getResponse().getSessionId();
            // Smack refuses to submit a form with a required field empty; a raw client need not.
            StanzaError e = continueError(admin, new Continue(node, id, "<x xmlns='jabber:x:data' type='submit'>"
                    + "<field var='accountjid'><value>nopassword@localhost</value></field></x>"));
            assertBadRequest(e, "bad-payload");
            assertFalse(server.server().accounts().exists("nopassword"));
        } finally {
            admin.disconnect();
        }
    }

    /**
     * What an admin sends on to users is bounded below the stanza limit, and so is the number of addresses one
     * command acts on: bad-payload (XEP-0050 §4.6), nothing sent, nothing deleted.
     */
    @Test
    void xep0050_4_6_anOverlongTextOrTooManyAddressesIsBadPayloadAndNothingHappens() throws Exception {
        XMPPTCPConnection admin = server.login("admin");
        XMPPTCPConnection dave = server.login("dave", "bounded");
        try {
            CompletableFuture<String> announced = new CompletableFuture<>();
            dave.addAsyncStanzaListener(st -> announced.complete(((org.jivesoftware.smack.packet.Message) st).getBody()),
                    st -> st instanceof org.jivesoftware.smack.packet.Message m && m.getType()
                            == org.jivesoftware.smack.packet.Message.Type.headline);
            String node = ADMIN + "#announce";
            String id = command(admin, node).execute().asExecutingOrThrow().getResponse().getSessionId();
            StanzaError tooLong = continueError(admin, new Continue(node, id, "<x xmlns='jabber:x:data' type='submit'>"
                    + "<field var='announcement'><value>" + "x".repeat(Command.MAX_TEXT_CHARS + 1) + "</value></field></x>"));
            assertBadRequest(tooLong, "bad-payload");

            node = ADMIN + "#delete-user";
            id = command(admin, node).execute().asExecutingOrThrow().getResponse().getSessionId();
            StringBuilder jids = new StringBuilder("<value>bob@localhost</value>");
            for (int i = 0; i < Commands.MAX_JIDS; i++) {
                jids.append("<value>nobody").append(i).append("@localhost</value>");
            }
            StanzaError tooMany = continueError(admin, new Continue(node, id, "<x xmlns='jabber:x:data' type='submit'>"
                    + "<field var='accountjids'>" + jids + "</field></x>"));
            assertBadRequest(tooMany, "bad-payload");
            assertTrue(server.server().accounts().exists("bob"), "nothing was deleted");

            // An announcement within the bound goes out: the refusal above was the bound's.
            run(admin, ADMIN + "#announce", "announcement", "y".repeat(Command.MAX_TEXT_CHARS));
            assertEquals("y".repeat(Command.MAX_TEXT_CHARS), announced.get(10, TimeUnit.SECONDS),
                    "only the announcement within the bound arrived");
        } finally {
            admin.disconnect();
            dave.disconnect();
        }
    }

    @Test
    void endUserSession_theClientSeesTheStreamError() throws Exception {
        XMPPTCPConnection dave = server.login("dave");
        CompletableFuture<Exception> closed = closedOnError(dave);
        XMPPTCPConnection admin = server.login("admin");
        try {
            run(admin, ADMIN + "#end-user-session", "accountjids", "dave@localhost");
            Exception e = closed.get(10, TimeUnit.SECONDS);
            XMPPException.StreamErrorException stream = assertInstanceOf(XMPPException.StreamErrorException.class, e);
            assertEquals(StreamError.Condition.policy_violation, stream.getStreamError().getCondition());
        } finally {
            admin.disconnect();
        }
    }

    @Test
    void xep0133_4_3_aDisabledUserIsDisconnectedAndCannotLogInUntilReenabled() throws Exception {
        XMPPTCPConnection bob = server.login("bob");
        CompletableFuture<Exception> closed = closedOnError(bob);
        XMPPTCPConnection admin = server.login("admin");
        try {
            run(admin, ADMIN + "#disable-user", "accountjids", "bob@localhost");
            XMPPException.StreamErrorException stream = assertInstanceOf(XMPPException.StreamErrorException.class,
                    closed.get(10, TimeUnit.SECONDS));
            assertEquals(StreamError.Condition.not_authorized, stream.getStreamError().getCondition());
            assertThrows(SASLErrorException.class, () -> server.login("bob"));
            run(admin, ADMIN + "#reenable-user", "accountjids", "bob@localhost");
            server.login("bob").disconnect();
        } finally {
            admin.disconnect();
        }
    }

    @Test
    void destroyRoom_occupantsSeeTheXep0045Destroy() throws Exception {
        XMPPTCPConnection carol = server.login("carol", "muc");
        XMPPTCPConnection admin = server.login("admin");
        try {
            MultiUserChat room = MultiUserChatManager.getInstanceFor(carol)
                    .getMultiUserChat(JidCreate.entityBareFrom("doomed@conference.localhost"));
            room.create(Resourcepart.from("carol")).makeInstant();
            CompletableFuture<String> notice = new CompletableFuture<>();
            room.addUserStatusListener(new UserStatusListener() {
                @Override
                public void roomDestroyed(MultiUserChat alternate, String password, String reason) {
                    notice.complete(reason);
                }
            });
            AdHocCommandResult listed = command(admin, PARLEY + "#rooms").execute();
            DataForm table = listed.getResponse().getForm();
            assertTrue(table.getItems().stream().anyMatch(i -> i.getFields().stream().anyMatch(
                    f -> "jid".equals(f.getFieldName()) && "doomed@conference.localhost".equals(f.getFirstValue()))),
                    table.toXML().toString());
            run(admin, PARLEY + "#destroy-room", "roomjid", "doomed@conference.localhost", "reason", "closing down");
            assertEquals("closing down", notice.get(10, TimeUnit.SECONDS));
            // The same room again: the room is gone, the command says so.
            XMPPException.XMPPErrorException gone = assertThrows(XMPPException.XMPPErrorException.class,
                    () -> run(admin, PARLEY + "#destroy-room", "roomjid", "doomed@conference.localhost"));
            assertEquals(StanzaError.Condition.item_not_found, gone.getStanzaError().getCondition());
        } finally {
            carol.disconnect();
            admin.disconnect();
        }
    }

    @Test
    void stats_reportsSessionsAndCountersAsFields() throws Exception {
        XMPPTCPConnection admin = server.login("admin");
        try {
            DataForm stats = command(admin, PARLEY + "#stats").execute().getResponse().getForm();
            assertNotNull(stats.getField("version"));
            assertTrue(Long.parseLong(stats.getField("sessions-tcp").getFirstValue()) >= 1, stats.toXML().toString());
            assertTrue(Long.parseLong(stats.getField("logins-success").getFirstValue()) >= 1);
            DataForm security = command(admin, PARLEY + "#security").execute().getResponse().getForm();
            assertNotNull(security.getField("cert-not-after"));
            List<?> unused = security.getItems();
            assertNotNull(unused);
        } finally {
            admin.disconnect();
        }
    }

    @Test
    void xep0050_commandSessionsAreBoundedPerRequester() throws Exception {
        XMPPTCPConnection admin = server.login("admin", "bounded");
        try {
            String node = ADMIN + "#add-user";
            String first = command(admin, node).execute().asExecutingOrThrow().getResponse().getSessionId();
            for (int i = 0; i < AdminCommands.SESSIONS_PER_ADMIN; i++) {
                command(admin, node).execute();
            }
            StanzaError evicted = continueError(admin, node, first);
            assertNotNull(evicted.getExtension("bad-sessionid", "http://jabber.org/protocol/commands"),
                    "the oldest of " + (AdminCommands.SESSIONS_PER_ADMIN + 1) + " sessions was dropped");
        } finally {
            admin.disconnect();
        }
    }

    @Test
    void xep0133_announcementAndMessageOfTheDayReachUsers() throws Exception {
        XMPPTCPConnection admin = server.login("admin");
        XMPPTCPConnection dave = server.login("dave", "announced");
        try {
            CompletableFuture<String> announced = new CompletableFuture<>();
            dave.addAsyncStanzaListener(st -> announced.complete(((org.jivesoftware.smack.packet.Message) st).getBody()),
                    st -> st instanceof org.jivesoftware.smack.packet.Message m && m.getType()
                            == org.jivesoftware.smack.packet.Message.Type.headline && m.getBody() != null
                            && m.getBody().startsWith("maintenance"));
            run(admin, ADMIN + "#announce", "announcement", "maintenance at noon");
            assertEquals("maintenance at noon", announced.get(10, TimeUnit.SECONDS));

            run(admin, ADMIN + "#set-motd", "motd", "welcome aboard");
            XMPPTCPConnection later = new XMPPTCPConnection(server.config("carol").setResource("motd")
                    .setSendPresence(true).build());
            CompletableFuture<String> motd = new CompletableFuture<>();
            later.addAsyncStanzaListener(st -> motd.complete(((org.jivesoftware.smack.packet.Message) st).getBody()),
                    st -> st instanceof org.jivesoftware.smack.packet.Message m && "welcome aboard".equals(m.getBody()));
            later.connect().login();
            try {
                assertEquals("welcome aboard", motd.get(10, TimeUnit.SECONDS), "sent with the first presence (XEP-0133 set-motd)");
            } finally {
                later.disconnect();
                command(admin, ADMIN + "#delete-motd").execute();
            }
        } finally {
            admin.disconnect();
            dave.disconnect();
        }
    }

    @Test
    void registrationCanBeSwitchedOffAndOnAtRuntime() throws Exception {
        XMPPTCPConnection admin = server.login("admin");
        try {
            assertTrue(serverFeatures(admin).contains("jabber:iq:register"));
            AdHocCommand command = command(admin, PARLEY + "#registration");
            FillableForm form = command.execute().asExecutingOrThrow().getFillableForm();
            form.setAnswer("enabled", false);
            command.complete(form.getSubmitForm());
            assertFalse(serverFeatures(admin).contains("jabber:iq:register"), "XEP-0077 no longer advertised");
            AdHocCommand again = command(admin, PARLEY + "#registration");
            FillableForm on = again.execute().asExecutingOrThrow().getFillableForm();
            on.setAnswer("enabled", true);
            again.complete(on.getSubmitForm());
            assertTrue(serverFeatures(admin).contains("jabber:iq:register"));
        } finally {
            admin.disconnect();
        }
    }

    /** The server's disco#info features, asked on the wire (Smack would answer from its entity-caps cache). */
    private static java.util.Set<String> serverFeatures(XMPPTCPConnection c) throws Exception {
        org.jivesoftware.smackx.disco.packet.DiscoverInfo request = org.jivesoftware.smackx.disco.packet.DiscoverInfo
                .builder("features-" + System.nanoTime()).to(JidCreate.from("localhost")).ofType(IQ.Type.get).build();
        org.jivesoftware.smackx.disco.packet.DiscoverInfo info = c.sendIqRequestAndWaitForResponse(request);
        java.util.Set<String> features = new java.util.HashSet<>();
        info.getFeatures().forEach(f -> features.add(f.getVar()));
        return features;
    }

    private static CompletableFuture<Exception> closedOnError(XMPPTCPConnection c) {
        CompletableFuture<Exception> closed = new CompletableFuture<>();
        c.addConnectionListener(new ConnectionListener() {
            @Override
            public void connectionClosedOnError(Exception e) {
                closed.complete(e);
            }
        });
        return closed;
    }
}
