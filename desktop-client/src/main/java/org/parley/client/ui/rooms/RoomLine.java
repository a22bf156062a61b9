package org.parley.client.ui.rooms;

import java.time.Instant;

/**
 * A line in a room's transcript: a message ({@code from} is the nickname) or a notice about the room itself
 * (someone joined or left, the subject changed; {@code from} is null).
 */
public record RoomLine(Instant time, String from, String text, boolean notice, boolean outgoing, boolean delayed,
        String id, java.util.Map<String, java.util.Set<String>> reactions, boolean edited) {

    /** A line without id, reactions or correction. */
    public RoomLine(Instant time, String from, String text, boolean notice, boolean outgoing, boolean delayed) {
        this(time, from, text, notice, outgoing, delayed, null, java.util.Map.of(), false);
    }

    /** The line with {@code nick}'s reactions replaced (XEP-0444: each reaction message carries the full set). */
    RoomLine withReactions(String nick, java.util.Set<String> emojis) {
        java.util.Map<String, java.util.Set<String>> all = new java.util.TreeMap<>(reactions);
        if (emojis.isEmpty()) {
            all.remove(nick);
        } else {
            all.put(nick, java.util.Set.copyOf(emojis));
        }
        return new RoomLine(time, from, text, notice, outgoing, delayed, id, java.util.Map.copyOf(all), edited);
    }

    /** The line with corrected text (XEP-0308). */
    RoomLine corrected(String newText) {
        return new RoomLine(time, from, newText, notice, outgoing, delayed, id, reactions, true);
    }

    /** "👍 bob, carol · ❤ alice": who reacted with what, or "" when nobody did. */
    public String reactionSummary() {
        java.util.Map<String, java.util.List<String>> byEmoji = new java.util.TreeMap<>();
        reactions.forEach((nick, emojis) -> emojis.forEach(e -> byEmoji.computeIfAbsent(e, k -> new java.util.ArrayList<>())
                .add(nick)));
        java.util.List<String> parts = new java.util.ArrayList<>();
        byEmoji.forEach((emoji, nicks) -> parts.add(emoji + " " + String.join(", ", nicks.stream().sorted().toList())));
        return String.join(" · ", parts);
    }

    static RoomLine notice(String text) {
        return new RoomLine(Instant.now(), null, text, true, false, false);
    }
}
