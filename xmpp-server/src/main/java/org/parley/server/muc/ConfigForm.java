package org.parley.server.muc;

import static org.parley.server.muc.RoomConfig.PREFIX;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;

/** The muc#owner configuration form of XEP-0045 §10.2 and §15.5.3: rendering it and reading a submission. */
final class ConfigForm {

    /**
     * A submitted form: the new configuration, and the owner and admin lists when the form carried them
     * (null when it did not, which leaves the affiliations as they are).
     */
    record Submission(RoomConfig config, List<Entity> owners, List<Entity> admins) {
    }

    private static final String OWNERS = PREFIX + "roomowners";
    private static final String ADMINS = PREFIX + "roomadmins";

    private ConfigForm() {
    }

    static void write(StanzaBuilder b, Entity room, RoomConfig c, List<Entity> owners, List<Entity> admins,
                      int maxHistoryLength) {
        DataForm form = DataForm.start(b, "form", MucXml.MUC_ROOMCONFIG,
                "Configuration of " + room.getFullQualifiedName());
        form.text(PREFIX + "roomname", "Name", c.name())
                .field(PREFIX + "roomdesc", "text-single", "Description", List.of(c.description()))
                .bool(PREFIX + "persistentroom", "Keep the room when the last person leaves", c.persistent())
                .bool(PREFIX + "publicroom", "List the room in the public directory", c.publicRoom())
                .bool(PREFIX + "membersonly", "Only members may enter", c.membersOnly())
                .bool(PREFIX + "moderatedroom", "Only people with voice may speak (moderated)", c.moderated())
                .bool(PREFIX + "passwordprotectedroom", "Entering needs a password", c.passwordProtected())
                .field(PREFIX + "roomsecret", "text-private", "Password", List.of(c.password()));
        Map<String, String> sizes = new LinkedHashMap<>();
        for (int n : new int[] {10, 20, 30, 50, 100, 200, 500, 1000}) {
            sizes.put(Integer.toString(n), Integer.toString(n));
        }
        sizes.put("0", "No limit");
        String current = Integer.toString(c.maxUsers());
        if (!sizes.containsKey(current)) {
            Map<String, String> withCurrent = new LinkedHashMap<>();
            withCurrent.put(current, current);
            withCurrent.putAll(sizes);
            sizes = withCurrent;
        }
        form.choice(PREFIX + "maxusers", "Most occupants", current, sizes);
        Map<String, String> whois = new LinkedHashMap<>();
        whois.put("moderators", "Moderators only");
        whois.put("anyone", "Anyone");
        form.choice(PREFIX + "whois", "Who may see the real addresses of occupants", c.whoisAnyone() ? "anyone" : "moderators",
                        whois)
                .bool(PREFIX + "allowinvites", "Occupants may invite others", c.allowInvites())
                .bool(PREFIX + "changesubject", "Occupants may change the subject", c.changeSubject())
                .field(PREFIX + "historylength", "text-single",
                        "Messages of history sent to newcomers (0-" + maxHistoryLength + ")",
                        List.of(Integer.toString(c.historyLength())))
                .bool(PREFIX + "enablelogging", "Archive the room's messages", c.logging())
                .field(OWNERS, "jid-multi", "Room owners", addresses(owners))
                .field(ADMINS, "jid-multi", "Room admins", addresses(admins))
                .end();
    }

    /**
     * Reads a submitted form. Fields missing from the submission keep their value (XEP-0004 lets a
     * client send only what changed).
     *
     * @throws IllegalArgumentException naming the field whose value is not acceptable
     */
    static Submission read(XMLElement x, RoomConfig current, int maxHistoryLength) {
        Map<String, List<String>> values = DataForm.values(x);
        List<String> formType = values.get("FORM_TYPE");
        if (formType != null && !formType.isEmpty() && !MucXml.MUC_ROOMCONFIG.equals(formType.get(0))) {
            throw new IllegalArgumentException("FORM_TYPE must be " + MucXml.MUC_ROOMCONFIG);
        }
        Map<String, String> settings = new HashMap<>();
        values.forEach((var, v) -> {
            if (var.startsWith(PREFIX) && !var.equals(OWNERS) && !var.equals(ADMINS)) {
                settings.put(var.substring(PREFIX.length()), v.isEmpty() ? "" : v.get(0));
            }
        });
        RoomConfig config = current.with(settings, maxHistoryLength);
        return new Submission(config, jids(values.get(OWNERS), OWNERS), jids(values.get(ADMINS), ADMINS));
    }

    private static List<Entity> jids(List<String> values, String field) {
        if (values == null) {
            return null;
        }
        List<Entity> jids = new ArrayList<>();
        for (String v : values) {
            if (v.isBlank()) {
                continue;
            }
            Entity e = Room.parseJid(v);
            if (e == null) {
                throw new IllegalArgumentException(field + ": '" + v + "' is not a JID");
            }
            jids.add(e.getBareJID());
        }
        return jids;
    }

    private static List<String> addresses(List<Entity> users) {
        List<String> values = new ArrayList<>();
        users.forEach(u -> values.add(u.getFullQualifiedName()));
        return values;
    }
}
