package org.parley.client.bot.examples;

import java.util.Locale;
import java.util.Map;

import org.parley.client.bot.Bot;

/**
 * A bot for 1:1 chats: people add it as a contact (it accepts) and write to it. It knows a few questions and
 * answers them, reacts with 👍 to thanks (XEP-0444), and otherwise says what it understands. No rooms.
 *
 * <pre>{@code
 * Bot bot = AnswerBot.configure(Bot.builder().account("faq@example.org", password)).build();
 * bot.start();
 * }</pre>
 */
public final class AnswerBot {

    private static final Map<String, String> ANSWERS = Map.of(
            "hours", "We are open 9:00-17:00, Monday to Friday.",
            "contact", "Write to help@example.org, or just ask here.",
            "status", "All systems running.");

    private AnswerBot() {
    }

    /** The answers as commands ({@code hours} or {@code !hours}), thanks acknowledged, a hint for the rest. */
    public static Bot.Builder configure(Bot.Builder builder) {
        ANSWERS.forEach((question, answer) -> builder.command(question, answer.split("[.,]")[0].toLowerCase(Locale.ROOT),
                ctx -> ctx.reply(answer)));
        return builder.otherwise(ctx -> {
            String text = ctx.text().toLowerCase(Locale.ROOT);
            if (text.contains("thank")) {
                ctx.react("👍");
            } else {
                ctx.reply("I can answer: " + String.join(", ", ANSWERS.keySet().stream().sorted().toList())
                        + ". Just write one of these words.");
            }
        });
    }
}
