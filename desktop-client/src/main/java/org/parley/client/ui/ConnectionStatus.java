package org.parley.client.ui;

import org.parley.client.core.ConnectionState;

/** The words for the connection state shown in the main window's status bar. */
public final class ConnectionStatus {

    private ConnectionStatus() {
    }

    public static String describe(ConnectionState state, Throwable cause) {
        return switch (state) {
            case ONLINE -> "Online";
            case CONNECTING -> "Connecting…";
            case RECONNECTING -> "Connection lost, reconnecting…" + (cause == null ? "" : " (" + Errors.describe(cause) + ")");
            case DISCONNECTED -> "Offline" + (cause == null ? "" : " (" + Errors.describe(cause) + ")");
        };
    }
}
