package org.parley.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/**
 * The version shown by {@code parley version} and {@code --version}. Read from
 * {@code parley-version.properties}, which Maven fills in at build time, so it is right whether Parley
 * runs from a jar or from {@code target/classes}; the jar manifest is the fallback.
 */
public final class ParleyVersion implements IVersionProvider {

    /** e.g. {@code 0.1.0-SNAPSHOT}; {@code development} when neither source knows. */
    public static String version() {
        try (InputStream in = ParleyVersion.class.getResourceAsStream("/parley-version.properties")) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                String version = properties.getProperty("version", "").strip();
                if (!version.isEmpty() && !version.startsWith("${")) {
                    return version;
                }
            }
        } catch (IOException e) {
            // fall through to the manifest
        }
        String manifest = ParleyVersion.class.getPackage().getImplementationVersion();
        return manifest != null ? manifest : "development";
    }

    @Override
    public String[] getVersion() {
        return new String[] {"Parley " + version()};
    }
}
