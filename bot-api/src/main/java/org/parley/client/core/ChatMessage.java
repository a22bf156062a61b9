package org.parley.client.core;

import java.time.Instant;

/**
 * A message in a 1:1 chat, in a room, or from history.
 *
 * @param conversation bare address of the chat partner or the room
 * @param from who wrote it: the partner's bare address in 1:1, the occupant's nickname in a room
 * @param body the text
 * @param time when it was sent (the delay stamp for history and offline messages, otherwise reception time)
 * @param delayed it is history or was stored offline, not live
 * @param outgoing written by this account
 * @param id the id others refer to it by (reactions, replies, corrections): in a room the room's stanza-id
 *           (XEP-0359), in 1:1 the message's own id; null when it has none
 */
public record ChatMessage(String conversation, String from, String body, Instant time, boolean delayed,
        boolean outgoing, String id) {

    /** A message without an id. */
    public ChatMessage(String conversation, String from, String body, Instant time, boolean delayed, boolean outgoing) {
        this(conversation, from, body, time, delayed, outgoing, null);
    }
}
