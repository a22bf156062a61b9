package org.parley.server.admin;

import static org.parley.server.admin.AdminCommands.AUDIT;
import static org.parley.server.admin.AdminCommands.PARLEY;

import java.util.List;
import java.util.Map;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.muc.RoomAdministration;
import org.parley.server.muc.RoomConfig;

/** Chat rooms (XEP-0045) for administrators: XEP-0133 has no room commands, so these are Parley's. */
final class RoomCommands {

    private RoomCommands() {
    }

    static List<Command> all(ServerAccess s) {
        if (s.rooms() == null) {
            return List.of();
        }
        RoomAdministration rooms = s.rooms();
        return List.of(
                Commands.of(PARLEY + "#rooms", "List rooms", null, (admin, v) -> list(rooms)),
                Commands.of(PARLEY + "#room", "Room details", admin -> roomForm("Room details"),
                        (admin, v) -> details(rooms, v)),
                Commands.of(PARLEY + "#destroy-room", "Destroy a room", admin -> roomForm("Destroy a room")
                                .text("reason", "Reason (shown to the occupants)", ""),
                        (admin, v) -> destroy(rooms, admin, v)),
                Commands.of(PARLEY + "#room-owners", "Change a room's owners", admin -> roomForm("Change a room's owners")
                                .required("owners", "jid-multi", "The owners (every other owner loses the affiliation)"),
                        (admin, v) -> owners(rooms, admin, v)),
                Commands.of(PARLEY + "#room-message", "Message a room as the service", admin ->
                                roomForm("Message a room as the service").required("body", "text-multi", "Message"),
                        (admin, v) -> say(rooms, v)));
    }

    private static Form roomForm(String title) {
        return Form.form(title, PARLEY).required("roomjid", "jid-single", "The room's address");
    }

    private static Entity room(Map<String, List<String>> v) throws Command.Failure {
        return Commands.jid(Command.single(v, "roomjid", "The room's address"), "The room's address").getBareJID();
    }

    private static Command.Result list(RoomAdministration rooms) {
        Form form = Form.result("Rooms", PARLEY).columns("jid", "Address", "name", "Name", "occupants", "Occupants",
                "persistent", "Persistent", "public", "Public", "membersonly", "Members only", "moderated", "Moderated",
                "password", "Password", "logging", "Archived", "owners", "Owners");
        List<RoomAdministration.RoomView> all = rooms.rooms();
        for (RoomAdministration.RoomView r : all) {
            if (form.rowCount() >= UserCommands.MAX_ROWS) {
                break;
            }
            RoomConfig c = r.config();
            form.row(r.jid(), c.name(), r.occupants().size(), b(c.persistent()), b(c.publicRoom()), b(c.membersOnly()),
                    b(c.moderated()), b(c.passwordProtected()), b(c.logging()), String.join(" ", r.owners()));
        }
        form.fixed("total", "Rooms", all.size());
        return Command.Result.form(form);
    }

    private static String b(boolean value) {
        return value ? "1" : "0";
    }

    private static Command.Result details(RoomAdministration rooms, Map<String, List<String>> v) throws Command.Failure {
        Entity jid = room(v);
        RoomAdministration.RoomView r = rooms.room(jid).orElseThrow(() -> Command.Failure.notFound("no room " + jid));
        Form form = Form.result("Room " + r.jid(), PARLEY).fixed("roomjid", "Address", r.jid())
                .fixed("subject", "Subject", r.subject());
        r.config().toSettings().forEach((k, value) -> {
            if (!"roomsecret".equals(k)) { // the password stays with the owners' configuration form
                form.fixed("muc#roomconfig_" + k, k, value);
            }
        });
        form.field("owners", "jid-multi", "Owners", false, r.owners(), Map.of());
        form.columns("nick", "Nickname", "jid", "Address", "role", "Role", "affiliation", "Affiliation",
                "sessions", "Sessions");
        for (RoomAdministration.OccupantView o : r.occupants()) {
            form.row(o.nick(), o.jid(), o.role(), o.affiliation(), o.sessions());
        }
        return Command.Result.form(form);
    }

    private static Command.Result destroy(RoomAdministration rooms, Entity admin, Map<String, List<String>> v)
            throws Command.Failure {
        Entity jid = room(v);
        String reason = Command.optional(v, "reason");
        if (reason != null && reason.length() > Command.MAX_TEXT_CHARS) {
            throw Command.Failure.badPayload("Reason is longer than " + Command.MAX_TEXT_CHARS + " characters");
        }
        refusedUnlessResult(rooms.destroy(admin, jid, reason), jid);
        AUDIT.info("admin action=destroy-room target={}", jid);
        return Command.Result.note("Room " + jid + " destroyed.");
    }

    private static Command.Result owners(RoomAdministration rooms, Entity admin, Map<String, List<String>> v)
            throws Command.Failure {
        Entity jid = room(v);
        List<Entity> owners = Commands.jids(v, "owners", "The owners");
        refusedUnlessResult(rooms.setOwners(admin, jid, owners), jid);
        AUDIT.info("admin action=room-owners target={} owners={}", jid, owners.size());
        return Command.Result.note("Owners of " + jid + " changed.");
    }

    private static Command.Result say(RoomAdministration rooms, Map<String, List<String>> v) throws Command.Failure {
        Entity jid = room(v);
        String body = Command.text(v, "body", "Message", "Message is required");
        if (!rooms.say(jid, body)) {
            throw Command.Failure.notFound("no room " + jid);
        }
        AUDIT.info("admin action=room-message target={}", jid);
        return Command.Result.note("Message sent to " + jid + ".");
    }

    /** The room's own error (no such room, not acceptable …) becomes the command's. */
    private static void refusedUnlessResult(Stanza reply, Entity jid) throws Command.Failure {
        if (!"error".equals(reply.getAttributeValue("type"))) {
            return;
        }
        var error = reply.getFirstInnerElement();
        StanzaErrorCondition condition = StanzaErrorCondition.ITEM_NOT_FOUND;
        String text = "no room " + jid;
        if (error != null) {
            for (var e : error.getInnerElements()) {
                if ("text".equals(e.getName())) {
                    text = e.getInnerText() == null ? text : e.getInnerText().getText();
                } else {
                    for (StanzaErrorCondition c : StanzaErrorCondition.values()) {
                        if (c.value().equals(e.getName())) {
                            condition = c;
                        }
                    }
                }
            }
        }
        throw new Command.Failure(condition, null, text);
    }
}
