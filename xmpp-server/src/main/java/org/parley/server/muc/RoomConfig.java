package org.parley.server.muc;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A room's configuration: the standard {@code muc#roomconfig} options of XEP-0045 §10.2 (plus the widely
 * used {@code historylength}). Immutable; each change makes a new value.
 *
 * @param name              room title ({@code roomname}); empty for none
 * @param description       {@code roomdesc}
 * @param persistent        survives the last occupant leaving and server restarts
 * @param publicRoom        listed in the service's disco#items ({@code publicroom})
 * @param membersOnly       only members, admins and owners may enter
 * @param moderated         only occupants with voice may speak; newcomers without affiliation are visitors
 * @param passwordProtected entering needs {@link #password}
 * @param password          the room secret
 * @param maxUsers          most occupants without admin or owner affiliation; 0 for no limit
 * @param whoisAnyone       true: non-anonymous (everyone sees real JIDs); false: semi-anonymous (moderators do)
 * @param allowInvites      participants may invite others, not only moderators
 * @param changeSubject     participants may change the subject, not only moderators
 * @param historyLength     messages of discussion history kept and sent to newcomers
 * @param logging           the room's messages are archived ({@code enablelogging})
 */
public record RoomConfig(String name, String description, boolean persistent, boolean publicRoom,
                         boolean membersOnly, boolean moderated, boolean passwordProtected, String password,
                         int maxUsers, boolean whoisAnyone, boolean allowInvites, boolean changeSubject,
                         int historyLength, boolean logging) {

    /** The {@code muc#roomconfig_} prefix of every form field. */
    static final String PREFIX = "muc#roomconfig_";

    /** A new room as XEP-0045 §10.1.2 suggests for an instant room: public, temporary, open, semi-anonymous. */
    public static RoomConfig defaults(int maxUsers, int historyLength) {
        return new RoomConfig("", "", false, true, false, false, false, "", maxUsers, false, false, false,
                historyLength, false);
    }

    /** Options by setting name (the form field without its prefix), for storage. */
    public Map<String, String> toSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("roomname", name);
        s.put("roomdesc", description);
        s.put("persistentroom", Boolean.toString(persistent));
        s.put("publicroom", Boolean.toString(publicRoom));
        s.put("membersonly", Boolean.toString(membersOnly));
        s.put("moderatedroom", Boolean.toString(moderated));
        s.put("passwordprotectedroom", Boolean.toString(passwordProtected));
        s.put("roomsecret", password);
        s.put("maxusers", Integer.toString(maxUsers));
        s.put("whois", whoisAnyone ? "anyone" : "moderators");
        s.put("allowinvites", Boolean.toString(allowInvites));
        s.put("changesubject", Boolean.toString(changeSubject));
        s.put("historylength", Integer.toString(historyLength));
        s.put("enablelogging", Boolean.toString(logging));
        return s;
    }

    /**
     * This configuration with the given options applied; options not mentioned keep their value.
     *
     * @throws IllegalArgumentException naming the option whose value is not acceptable
     */
    public RoomConfig with(Map<String, String> settings, int maxHistoryLength) {
        String n = name;
        String d = description;
        boolean pers = persistent;
        boolean pub = publicRoom;
        boolean mo = membersOnly;
        boolean mod = moderated;
        boolean pp = passwordProtected;
        String pw = password;
        int max = maxUsers;
        boolean anyone = whoisAnyone;
        boolean inv = allowInvites;
        boolean subj = changeSubject;
        int hist = historyLength;
        boolean log = logging;
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String key = e.getKey();
            String v = e.getValue() == null ? "" : e.getValue().strip();
            switch (key) {
                case "roomname" -> n = v;
                case "roomdesc" -> d = v;
                case "persistentroom" -> pers = bool(key, v);
                case "publicroom" -> pub = bool(key, v);
                case "membersonly" -> mo = bool(key, v);
                case "moderatedroom" -> mod = bool(key, v);
                case "passwordprotectedroom" -> pp = bool(key, v);
                case "roomsecret" -> pw = e.getValue() == null ? "" : e.getValue();
                case "maxusers" -> max = v.isEmpty() || v.equals("none") ? 0 : number(key, v, 0, 1_000_000);
                case "whois" -> {
                    if (!v.equals("anyone") && !v.equals("moderators")) {
                        throw new IllegalArgumentException(PREFIX + key + " must be 'anyone' or 'moderators'");
                    }
                    anyone = v.equals("anyone");
                }
                case "allowinvites" -> inv = bool(key, v);
                case "changesubject" -> subj = bool(key, v);
                case "historylength" -> hist = number(key, v, 0, maxHistoryLength);
                case "enablelogging" -> log = bool(key, v);
                default -> { } // options we do not offer are ignored, as XEP-0004 §3.2 allows
            }
        }
        if (pp && pw.isEmpty()) {
            throw new IllegalArgumentException(PREFIX + "roomsecret is required when the room is password-protected");
        }
        return new RoomConfig(n, d, pers, pub, mo, mod, pp, pw, max, anyone, inv, subj, hist, log);
    }

    private static boolean bool(String key, String v) {
        return switch (v) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw new IllegalArgumentException(PREFIX + key + " must be a boolean (true, false, 1 or 0)");
        };
    }

    private static int number(String key, String v, int min, int max) {
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(PREFIX + key + " must be a number from " + min + " to " + max);
    }
}
