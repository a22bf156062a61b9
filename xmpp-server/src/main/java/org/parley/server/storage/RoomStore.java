package org.parley.server.storage;

import java.util.List;
import java.util.Map;

/**
 * Persistent multi-user chat rooms (XEP-0045 §10.2): configuration, subject and affiliations. Occupants
 * are presence state and are never stored.
 */
public interface RoomStore {

    /**
     * One stored room.
     *
     * @param room         the room's localpart, e.g. {@code lobby}
     * @param settings     configuration options by name (the muc#roomconfig field without its prefix)
     * @param subject      the current subject, or null
     * @param subjectBy    nickname of who set the subject, or null
     * @param affiliations bare JID → affiliation name (owner, admin, member, outcast)
     */
    record StoredRoom(String room, Map<String, String> settings, String subject, String subjectBy,
                      Map<String, String> affiliations) {
    }

    List<StoredRoom> loadAll();

    /** Creates or replaces the room with everything it holds. */
    void save(StoredRoom room);

    /** Removes the room; false when it was not stored. */
    boolean delete(String room);
}
