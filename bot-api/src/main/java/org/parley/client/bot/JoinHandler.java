package org.parley.client.bot;

/** Called when someone joins a room the bot is in (not for the bot itself or people already there). */
@FunctionalInterface
public interface JoinHandler {
    void joined(JoinContext context) throws Exception;
}
