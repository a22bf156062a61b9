package org.parley.client.core;

import java.util.logging.LogManager;

import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Routes Smack's java.util.logging into SLF4J, so that one logging configuration decides what reaches the
 * console. Without it the JDK's default console handler prints every Smack warning with its stack trace — for
 * example the 40-line {@code SSLHandshakeException} of the first connection to a server with a self-signed
 * certificate, which is the normal path to the trust question, not an error. Applications (the desktop client,
 * the example bots) call this once at start; a library user with their own logging set-up need not.
 */
public final class ConsoleLogging {

    private ConsoleLogging() {
    }

    /** Replaces java.util.logging's console handler with the bridge to SLF4J. Idempotent. */
    public static synchronized void routeJavaUtilLogging() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            LogManager.getLogManager().reset();
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
            // The JDK logger levels still filter before the bridge: let everything from INFO through, the SLF4J
            // configuration (e.g. logback.xml) decides.
            java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.INFO);
        }
    }
}
