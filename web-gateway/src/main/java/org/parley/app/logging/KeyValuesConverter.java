package org.parley.app.logging;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import org.slf4j.event.KeyValuePair;

/**
 * The {@code %kv} pattern word: MDC entries (e.g. the session id) then the event's SLF4J key-value pairs, as
 * {@code " key=value"}, values quoted when they contain spaces, quotes or {@code =}. Gives text logs a
 * single, grep- and logfmt-friendly shape instead of logback's {@code %mdc} ({@code k=v, k=v}) and
 * {@code %kvp} ({@code k="v"}) differing styles.
 */
public final class KeyValuesConverter extends ClassicConverter {

    @Override
    public String convert(ILoggingEvent event) {
        StringBuilder out = new StringBuilder();
        Map<String, String> mdc = event.getMDCPropertyMap();
        if (mdc != null && !mdc.isEmpty()) {
            new TreeMap<>(mdc).forEach((key, value) -> append(out, key, value));
        }
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair pair : pairs) {
                append(out, pair.key, pair.value);
            }
        }
        return out.toString();
    }

    private static void append(StringBuilder out, String key, Object value) {
        out.append(' ').append(key).append('=').append(quoteIfNeeded(String.valueOf(value)));
    }

    static String quoteIfNeeded(String value) {
        boolean plain = !value.isEmpty();
        for (int i = 0; i < value.length() && plain; i++) {
            char c = value.charAt(i);
            plain = c > ' ' && c != '"' && c != '=' && c != 0x7f;
        }
        if (plain) {
            return value;
        }
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> quoted.append(c < ' ' ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return quoted.append('"').toString();
    }
}
