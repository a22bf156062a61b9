package org.parley.client.core;

/** Told about every {@link ConnectionState} change; {@code cause} is the error that led to it, or null. */
@FunctionalInterface
public interface ConnectionStateListener {
    void stateChanged(ConnectionState state, Throwable cause);
}
