package org.parley.app.logging;

import java.util.Locale;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The console encoder of {@code logback.xml}: {@code text} (the configured pattern) or {@code json}
 * (logback's {@link JsonEncoder}), chosen by the {@code format} property. One appender with a switchable
 * encoder, because logback warns at every start-up about a second, unreferenced appender, and choosing
 * between appenders otherwise needs Janino for {@code <if>}.
 */
public final class ConsoleEncoder extends EncoderBase<ILoggingEvent> {

    private String format = "text";
    private String pattern = "%d %-5level %logger - %msg%n";
    private Encoder<ILoggingEvent> delegate;

    /** {@code text} or {@code json}; anything else falls back to text with a logback warning. */
    public void setFormat(String format) {
        this.format = format == null ? "text" : format.strip().toLowerCase(Locale.ROOT);
    }

    /** The layout pattern used by the text format. */
    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    @Override
    public void start() {
        if ("json".equals(format)) {
            JsonEncoder json = new JsonEncoder();
            json.setContext(getContext());
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.setWithContext(false);
            json.setWithArguments(false);
            delegate = json;
        } else {
            if (!"text".equals(format)) {
                addWarn("Unknown log format [" + format + "], using text");
            }
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setContext(getContext());
            text.setPattern(pattern);
            delegate = text;
        }
        delegate.start();
        super.start();
    }

    @Override
    public void stop() {
        if (delegate != null) {
            delegate.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return delegate.headerBytes();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return delegate.encode(event);
    }

    @Override
    public byte[] footerBytes() {
        return delegate.footerBytes();
    }
}
