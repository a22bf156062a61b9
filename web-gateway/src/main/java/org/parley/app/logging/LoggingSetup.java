package org.parley.app.logging;

import java.net.URL;
import java.util.Locale;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.joran.util.ConfigurationWatchListUtil;
import org.parley.server.config.LoggingSettings;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Applies the {@code logging.*} settings to logback once the settings are known. The console format is
 * chosen in {@code logback.xml} from the system property {@value #FORMAT_PROPERTY}; this sets that
 * property (before logging starts, or re-reading {@code logback.xml} when it already started in the other
 * format) and sets the level of the {@code org.parley} loggers.
 */
public final class LoggingSetup {

    /** System property logback.xml reads: {@code text} or {@code json}. */
    public static final String FORMAT_PROPERTY = "parley.logging.format";

    /** Context property logback.xml sets to the format it configured; absent with other logback files. */
    static final String FORMAT_IN_EFFECT = "parley.logging.format.in-effect";

    private LoggingSetup() {
    }

    public static void apply(LoggingSettings settings) {
        System.setProperty(FORMAT_PROPERTY, settings.format());
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            return;
        }
        String inEffect = context.getProperty(FORMAT_IN_EFFECT);
        if (inEffect != null && !inEffect.equals(settings.format())) {
            reconfigure(context);
        }
        context.getLogger("org.parley").setLevel(Level.toLevel(settings.level().toUpperCase(Locale.ROOT), Level.INFO));
    }

    private static void reconfigure(LoggerContext context) {
        URL configuration = ConfigurationWatchListUtil.getMainWatchURL(context);
        if (configuration == null) {
            return;
        }
        context.reset();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(configuration);
        } catch (JoranException e) {
            // logback records the problem in its status list and prints it; logging stays usable
        }
    }
}
