package org.parley.client.bot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.client.core.Clients.next;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jivesoftware.smack.filter.StanzaTypeFilter;
import org.jivesoftware.smack.packet.Message;
import org.jivesoftware.smack.packet.StandardExtensionElement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.client.bot.examples.AnswerBot;
import org.parley.client.core.ChatListener;
import org.parley.client.core.ChatMessage;
import org.parley.client.core.Clients;
import org.parley.client.core.ParleyClient;
import org.parley.server.testing.TestServer;

/**
 * The 1:1 example bot on a real server: answers what it knows, hints at the rest, and reacts to thanks with a
 * XEP-0444 reaction that names the message it reacts to.
 */
class AnswerBotTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("faq", "alice");

    @Test
    void answersInOneToOneAndReactsToThanks() throws Exception {
        Bot bot = AnswerBot.configure(Bot.builder()
                .server("127.0.0.1", server.server().c2sPort())
                .account("faq@localhost", TestServer.PASSWORD)
                .trustFingerprint(server.server().certificateFingerprint()))
                .build();
        ParleyClient alice = Clients.login(server, "alice");
        try {
            bot.start();
            BlockingQueue<String> answers = Clients.queue();
            alice.addChatListener(new ChatListener() {
                @Override
                public void messageReceived(ChatMessage message) {
                    answers.add(message.body());
                }
            });
            BlockingQueue<String> reactions = Clients.queue();
            List<String> sentIds = new CopyOnWriteArrayList<>();
            alice.smackConnection().addStanzaSendingListener(s -> sentIds.add(s.getStanzaId()), StanzaTypeFilter.MESSAGE);
            alice.smackConnection().addAsyncStanzaListener(s -> {
                if (s.getExtensionElement("reactions", "urn:xmpp:reactions:0") instanceof StandardExtensionElement r) {
                    reactions.add(r.getAttributeValue("id") + " " + r.getFirstElement("reaction").getText());
                }
            }, s -> s instanceof Message m && m.hasExtension("reactions", "urn:xmpp:reactions:0"));

            alice.sendMessage("faq@localhost", "hours");
            assertEquals("We are open 9:00-17:00, Monday to Friday.", next(answers, a -> true, "the answer"));
            alice.sendMessage("faq@localhost", "what is the meaning of life?");
            String hint = next(answers, a -> true, "the hint");
            assertTrue(hint.startsWith("I can answer: contact, hours, status"), hint);

            alice.sendMessage("faq@localhost", "thanks a lot");
            String reaction = next(reactions, r -> true, "the reaction");
            assertEquals(sentIds.get(sentIds.size() - 1) + " 👍", reaction, "a thumbs-up to the thanking message");
            assertTrue(answers.isEmpty(), "a reaction, no text: " + answers);
        } finally {
            alice.close();
            bot.close();
        }
    }
}
