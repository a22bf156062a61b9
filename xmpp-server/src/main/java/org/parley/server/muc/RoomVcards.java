package org.parley.server.muc;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.parley.server.avatar.AvatarSync;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.storage.DocumentStore;

/**
 * Rooms' vCards, for their avatars (XEP-0486, over XEP-0054 and the XEP-0153 hash): kept in the
 * {@link DocumentStore} under the room's JID (an account name never holds an '@', so they cannot meet),
 * and checked like users' avatars.
 */
final class RoomVcards {

    static final String NS = "vcard-temp";
    private static final String KEY = "vcard-temp";

    private final DocumentStore store;
    private final int maxBytes;
    private final int maxPhotoBytes;
    /** The avatar hash by room JID, "" for none. */
    private final Map<String, String> hashes = new ConcurrentHashMap<>();

    /** @param maxPhotoBytes the largest avatar image (the vCard may be 4/3 of it, plus the rest) */
    RoomVcards(DocumentStore store, int maxPhotoBytes) {
        this.store = store;
        this.maxPhotoBytes = maxPhotoBytes;
        this.maxBytes = maxPhotoBytes / 3 * 4 + 16 * 1024;
    }

    Optional<XMLElement> get(Entity room) {
        return store.get(room.getFullQualifiedName(), KEY).flatMap(xml -> {
            try {
                return Optional.<XMLElement>of(StanzaParsing.parse(xml));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        });
    }

    /** Stores the room's vCard (an empty one removes it); returns why it was refused, or null. */
    String set(Entity room, XMLElement vcard) {
        if (vcard.getInnerElements().isEmpty()) {
            store.delete(room.getFullQualifiedName(), KEY);
            hashes.put(room.getFullQualifiedName(), "");
            return null;
        }
        String xml = new Renderer(vcard).getComplete();
        if (xml.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            return "the vCard is larger than " + maxBytes + " bytes";
        }
        String refusal = AvatarSync.photoRefusal(vcard, maxPhotoBytes);
        if (refusal != null) {
            return refusal;
        }
        store.put(room.getFullQualifiedName(), KEY, xml);
        hashes.put(room.getFullQualifiedName(), AvatarSync.photoHash(vcard));
        return null;
    }

    /** The room's avatar hash, "" when it has none. */
    String hash(Entity room) {
        return hashes.computeIfAbsent(room.getFullQualifiedName(), r -> AvatarSync.photoHash(get(room).orElse(null)));
    }

    /** The room is destroyed: its vCard goes too. */
    void delete(Entity room) {
        store.delete(room.getFullQualifiedName(), KEY);
        hashes.remove(room.getFullQualifiedName());
    }
}
