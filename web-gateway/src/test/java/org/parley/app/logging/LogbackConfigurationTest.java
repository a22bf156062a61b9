package org.parley.app.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.status.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** The application's logback.xml (src/main/resources), loaded into a private context. */
class LogbackConfigurationTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(LoggingSetup.FORMAT_PROPERTY);
    }

    private static LoggerContext configure(String format) throws Exception {
        if (format == null) {
            System.clearProperty(LoggingSetup.FORMAT_PROPERTY);
        } else {
            System.setProperty(LoggingSetup.FORMAT_PROPERTY, format);
        }
        LoggerContext context = new LoggerContext();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LogbackConfigurationTest.class.getResource("/logback.xml"));
        for (Status status : context.getStatusManager().getCopyOfStatusList()) {
            assertTrue(status.getLevel() < Status.WARN, status.toString());
        }
        return context;
    }

    private static String encode(LoggerContext context) {
        Logger logger = context.getLogger("org.parley.server.Example");
        OutputStreamAppender<?> console = (OutputStreamAppender<?>) context.getLogger(Logger.ROOT_LOGGER_NAME)
                .getAppender("console");
        assertNotNull(console, "console appender");
        assertInstanceOf(ConsoleEncoder.class, console.getEncoder());
        LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, Level.INFO, "stream opened", null, null);
        event.setMDCPropertyMap(Map.of("session", "ab12"));
        event.addKeyValuePair(new KeyValuePair("peer", "203.0.113.5:5222"));
        event.addKeyValuePair(new KeyValuePair("reason", "idle timeout"));
        @SuppressWarnings("unchecked")
        var encoder = ((OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent>) console).getEncoder();
        return new String(encoder.encode(event), StandardCharsets.UTF_8);
    }

    @Test
    void textIsTheDefault() throws Exception {
        LoggerContext context = configure(null);
        String line = encode(context);
        assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  "
                + "org\\.parley\\.server\\.Example - stream opened session=ab12 peer=203\\.0\\.113\\.5:5222"
                + " reason=\"idle timeout\"\\R"), line);
        assertEquals("text", context.getProperty(LoggingSetup.FORMAT_IN_EFFECT));
    }

    @Test
    void levels() throws Exception {
        LoggerContext context = configure("text");
        assertEquals(Level.WARN, context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel());
        assertEquals(Level.WARN, context.getLogger("org.apache.vysper").getLevel());
        assertEquals(Level.INFO, context.getLogger("org.parley").getLevel());
    }

    @Test
    void jsonWhenSelected() throws Exception {
        LoggerContext context = configure("json");
        assertEquals("json", context.getProperty(LoggingSetup.FORMAT_IN_EFFECT));
        String json = encode(context);
        assertTrue(json.startsWith("{") && json.strip().endsWith("}"), json);
        assertTrue(json.contains("\"message\":\"stream opened\""), json);
        assertTrue(json.contains("ab12") && json.contains("idle timeout"), json);
        assertEquals(1, json.strip().lines().count(), json);
    }

    @Test
    void valuesAreQuotedOnlyWhenNeeded() {
        assertEquals("abc", KeyValuesConverter.quoteIfNeeded("abc"));
        assertEquals("\"\"", KeyValuesConverter.quoteIfNeeded(""));
        assertEquals("\"a b\"", KeyValuesConverter.quoteIfNeeded("a b"));
        assertEquals("\"a=\\\"b\\\"\\n\"", KeyValuesConverter.quoteIfNeeded("a=\"b\"\n"));
    }
}
