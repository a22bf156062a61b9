package org.parley.server.config;

/**
 * The {@code logging.*} settings. Kept apart from {@link ServerSettings} because logging is set up by the
 * process that embeds the server (the application's main class), not by the server itself.
 *
 * @param level  level of the {@code org.parley} loggers: trace, debug, info, warn, error or off (lower case)
 * @param format console format: {@code text} or {@code json}
 */
public record LoggingSettings(String level, String format) {

    /** The built-in defaults ({@code info}, {@code text}). */
    public static LoggingSettings defaults() {
        return new LoggingSettings("info", "text");
    }
}
