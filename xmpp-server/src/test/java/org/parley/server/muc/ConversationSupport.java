package org.parley.server.muc;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smackx.muc.MultiUserChat;

/** Waiting for room messages in tests. */
final class ConversationSupport {

    private ConversationSupport() {
    }

    /** The next groupchat message {@code room} receives with this body, skipping others; fails after 10 s. */
    static Message nextWithBody(MultiUserChat room, String body) throws Exception {
        while (true) {
            Message m = room.nextMessage(10_000);
            assertNotNull(m, "no message '" + body + "' within 10 s");
            if (body.equals(m.getBody())) {
                return m;
            }
        }
    }
}
