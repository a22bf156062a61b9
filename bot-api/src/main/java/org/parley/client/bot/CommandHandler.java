package org.parley.client.bot;

/** Handles one bot command; exceptions are logged and answered with a short error reply. */
@FunctionalInterface
public interface CommandHandler {
    void handle(CommandContext context) throws Exception;
}
