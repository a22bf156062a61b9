package org.parley.client.ui.rooms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.client.core.Clients;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.PublicRoom;
import org.parley.client.core.Room;
import org.parley.client.ui.RecordingNotifier;
import org.parley.client.ui.TestUi;
import org.parley.server.testing.TestServer;

/** Group chat in the UI (XEP-0045) against a real server: browse, join, notices, roles, passwords, invitations. */
class RoomsModelTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("carol", "dave", "erin");

    private static final String LOBBY = "lobby@conference.localhost";

    @Test
    void browseJoinSeeOccupantsWithRolesNoticesMessagesUnreadAndTheRecentHistory() throws Exception {
        try (TestUi ui = new TestUi()) {
            ParleyClient carol = Clients.login(server, "carol");
            ParleyClient dave = Clients.login(server, "dave");
            try {
                Room davesLobby = dave.join("lobby", "dave", null, 0);
                davesLobby.send("said before carol came");
                RecordingNotifier notifier = new RecordingNotifier();
                RoomsModel rooms = ui.get(() -> new RoomsModel(carol, ui.dispatch(), notifier));
                List<String> errors = new CopyOnWriteArrayList<>();

                CompletableFuture<List<PublicRoom>> listed = new CompletableFuture<>();
                ui.run(() -> rooms.browse(listed::complete, e -> listed.completeExceptionally(new AssertionError(e))));
                assertTrue(listed.get(15, TimeUnit.SECONDS).stream().anyMatch(r -> r.jid().equals(LOBBY)), "the lobby is listed");

                ui.run(() -> rooms.join(" ", "carol", null, s -> { }, errors::add));
                ui.run(() -> rooms.join("lobby", "", null, s -> { }, errors::add));
                assertEquals(List.of("Enter a room name, e.g. lobby, or a full address like lobby@conference.example.org.",
                        "Enter a nickname."), errors);
                errors.clear();

                CompletableFuture<RoomSession> joined = new CompletableFuture<>();
                ui.run(() -> rooms.join("lobby", "carol", null, joined::complete, errors::add));
                RoomSession lobby = joined.get(15, TimeUnit.SECONDS);
                assertEquals(LOBBY, lobby.jid());
                ui.until(() -> lobby.lines().stream().anyMatch(l -> l.delayed() && l.from().equals("dave")
                        && l.text().equals("said before carol came")), "the recent history, from the archive");
                // The lobby is a standing room: both are participants there, listed by nickname.
                assertEquals(List.of("carol:participant", "dave:participant"),
                        ui.get(() -> lobby.occupants().stream().map(o -> o.nick() + ":" + o.role()).toList()));

                ParleyClient erin = Clients.login(server, "erin");
                try {
                    erin.join("lobby", "erin", null, 0).send("hello from erin");
                    ui.until(() -> lobby.lines().stream().anyMatch(l -> l.notice() && l.text().equals("erin joined")),
                            "join notice");
                    ui.until(() -> lobby.lines().stream().anyMatch(l -> !l.notice() && l.from().equals("erin")
                            && l.text().equals("hello from erin")), "erin's message");
                    assertTrue(ui.get(() -> lobby.occupants().stream().anyMatch(o -> o.nick().equals("erin"))));
                    assertEquals(1, (int) ui.get(lobby::unread), "not in front: unread");
                    assertEquals("lobby|erin: hello from erin", notifier.shown.poll(15, TimeUnit.SECONDS));
                    ui.run(() -> rooms.focus(LOBBY));
                    assertEquals(0, (int) ui.get(lobby::unread));
                } finally {
                    erin.close(); // leaves every room
                }
                ui.until(() -> lobby.lines().stream().anyMatch(l -> l.notice() && l.text().equals("erin left")), "leave notice");
                assertTrue(ui.get(() -> lobby.occupants().stream().noneMatch(o -> o.nick().equals("erin"))));

                ui.run(() -> rooms.send(LOBBY, "carol here", errors::add));
                ui.until(() -> lobby.lines().stream().anyMatch(l -> l.outgoing() && l.text().equals("carol here")),
                        "our message, as the room echoes it");
                ui.run(() -> rooms.leave(LOBBY));
                ui.until(() -> davesLobby.occupants().stream().noneMatch(o -> o.nick().equals("carol")),
                        "carol left the room");
                assertEquals(List.of(), errors);
            } finally {
                carol.close();
                dave.close();
            }
        }
    }

    @Test
    void aPasswordRoomIsCreatedWithItsPasswordAndEnteredByInvitation() throws Exception {
        try (TestUi carolUi = new TestUi(); TestUi erinUi = new TestUi()) {
            ParleyClient carol = Clients.login(server, "carol");
            ParleyClient erin = Clients.login(server, "erin");
            try {
                RoomsModel carols = carolUi.get(() -> new RoomsModel(carol, carolUi.dispatch(), new RecordingNotifier()));
                RoomsModel erins = erinUi.get(() -> new RoomsModel(erin, erinUi.dispatch(), new RecordingNotifier()));
                List<String> errors = new CopyOnWriteArrayList<>();

                CompletableFuture<RoomSession> created = new CompletableFuture<>();
                carolUi.run(() -> carols.join("vault", "carol", "s3cret", created::complete, errors::add));
                RoomSession vault = created.get(15, TimeUnit.SECONDS);
                assertEquals("moderator", vault.occupants().get(0).role(), "the creator is a moderator");
                carolUi.run(() -> carols.join("team", "zoe", null, s -> { }, errors::add));
                carolUi.until(() -> carols.session("team@conference.localhost") != null, "a second room");
                carolUi.until(() -> carols.session("team@conference.localhost").occupants().size() == 1, "its occupant");
                erin.join("team", "erin", null, 0);
                carolUi.until(() -> carols.session("team@conference.localhost").occupants().size() == 2, "erin in team");
                // XEP-0045 §5.1 roles: the creator (moderator) is listed before erin (participant), not by name.
                assertEquals(List.of("zoe:moderator", "erin:participant"), carolUi.get(() -> carols
                        .session("team@conference.localhost").occupants().stream().map(o -> o.nick() + ":" + o.role()).toList()));

                // XEP-0045 §7.2.6: without the password, a clear refusal.
                CompletableFuture<String> refused = new CompletableFuture<>();
                erinUi.run(() -> erins.join("vault", "erin", null, s -> refused.complete("entered!"), refused::complete));
                String refusal = refused.get(15, TimeUnit.SECONDS);
                assertTrue(refusal.startsWith("Cannot enter vault: A password is required, or it is wrong."), refusal);

                carolUi.run(() -> carols.changeSubject(vault.jid(), "the plan", errors::add));
                carolUi.until(() -> "the plan".equals(vault.subject()), "subject changed");
                carolUi.run(() -> carols.invite(vault.jid(), "nobody", "", errors::add));
                assertEquals(List.of("Not a user address: nobody"), errors);
                errors.clear();
                carolUi.run(() -> carols.invite(vault.jid(), "erin@localhost", "come in", errors::add));
                erinUi.until(() -> erins.invitations().size() == 1, "erin is invited");
                assertEquals("come in", erinUi.get(() -> erins.invitations().get(0).reason()));
                assertEquals("s3cret", erinUi.get(() -> erins.invitations().get(0).password()),
                        "the room adds its password to the invitation (XEP-0045 §7.8.2)");

                CompletableFuture<RoomSession> entered = new CompletableFuture<>();
                erinUi.run(() -> erins.accept(erins.invitations().get(0), "erin", entered::complete, errors::add));
                RoomSession erinsVault = entered.get(15, TimeUnit.SECONDS);
                assertEquals("the plan", erinsVault.subject());
                assertEquals(List.of(), erinUi.get(erins::invitations));
                carolUi.until(() -> vault.occupants().stream().anyMatch(o -> o.nick().equals("erin")
                        && o.role().equals("participant")), "carol sees erin as a participant");
                assertEquals(List.of(), errors);
            } finally {
                carol.close();
                erin.close();
            }
        }
    }
}
