package org.parley.client.core;

import java.util.LinkedHashSet;
import java.util.Set;

import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.StandardExtensionElement;
import org.jivesoftware.smack.packet.XmlElement;

/**
 * Reads what other clients (the web page among them) add to messages and Smack has no element classes for:
 * reactions (XEP-0444) and corrections (XEP-0308). Bounded: at most {@value #MAX_REACTIONS} emojis of at most
 * {@value #MAX_EMOJI_CHARS} characters each are taken from one message.
 */
final class MessageExtras {

    static final String REACTIONS = "urn:xmpp:reactions:0";
    static final String CORRECTION = "urn:xmpp:message-correct:0";
    private static final int MAX_REACTIONS = 20;
    private static final int MAX_EMOJI_CHARS = 16;

    private MessageExtras() {
    }

    /** The id of the reacted-to message, or null when the message carries no reactions. */
    static String reactionTarget(Message message) {
        return attribute(message.getExtensionElement("reactions", REACTIONS), "id");
    }

    /** The emojis of a reactions element (empty: all taken back). */
    static Set<String> reactions(Message message) {
        Set<String> result = new LinkedHashSet<>();
        if (message.getExtensionElement("reactions", REACTIONS) instanceof StandardExtensionElement reactions) {
            for (StandardExtensionElement reaction : reactions.getElements("reaction")) {
                String text = reaction.getText() == null ? "" : reaction.getText().strip();
                if (!text.isEmpty() && text.length() <= MAX_EMOJI_CHARS && result.size() < MAX_REACTIONS) {
                    result.add(text);
                }
            }
        }
        return result;
    }

    /** The id of the corrected message (XEP-0308 {@code <replace id=.../>}), or null. */
    static String replaced(Message message) {
        XmlElement replace = message.getExtensionElement("replace", CORRECTION);
        if (replace instanceof org.jivesoftware.smackx.message_correct.element.MessageCorrectExtension correct) {
            return correct.getIdInitialMessage();
        }
        return attribute(replace, "id");
    }

    private static String attribute(XmlElement element, String name) {
        if (element instanceof StandardExtensionElement standard) {
            String value = standard.getAttributeValue(name);
            return value == null || value.isEmpty() ? null : value;
        }
        return null;
    }
}
