package org.parley.client.ui;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;

import org.jivesoftware.smack.SmackException;
import org.jivesoftware.smack.XMPPException;
import org.jivesoftware.smack.packet.StanzaError;
import org.jivesoftware.smack.sasl.SASLErrorException;

/** Turns what the client core throws into one line a user can act on. */
public final class Errors {

    private Errors() {
    }

    public static String describe(Throwable e) {
        if (e instanceof SASLErrorException) {
            return "Wrong user name or password.";
        }
        if (e instanceof XMPPException.XMPPErrorException error) {
            StanzaError stanzaError = error.getStanzaError();
            String text = stanzaError.getDescriptiveText();
            String detail = text == null || text.isBlank() ? "" : " (" + text + ")";
            return switch (stanzaError.getCondition()) {
                case conflict -> "That name is already taken." + detail;
                case not_authorized -> "A password is required, or it is wrong." + detail;
                case registration_required -> "Only members may enter." + detail;
                case forbidden -> "Not allowed: you are banned or lack the rights." + detail;
                case not_allowed -> "Not allowed by the server." + detail;
                case service_unavailable -> "The service is not available (full, or switched off)." + detail;
                case item_not_found -> "It does not exist (or is locked)." + detail;
                case not_acceptable -> "Refused by the server." + detail;
                default -> "The server refused: " + stanzaError.getCondition() + detail;
            };
        }
        if (e instanceof SmackException.NoResponseException) {
            return "The server did not answer in time.";
        }
        if (e instanceof SmackException.NotConnectedException || e instanceof IllegalStateException
                && "not logged in".equals(e.getMessage())) {
            return "Not connected.";
        }
        if (e instanceof SmackException.EndpointConnectionException endpoints) {
            return unreachable(endpoints);
        }
        if (e instanceof ConnectException) {
            return "Cannot reach the server: " + e.getMessage();
        }
        if (e instanceof UnknownHostException) {
            return "Unknown host: " + e.getMessage();
        }
        if (e instanceof IllegalArgumentException) {
            return e.getMessage();
        }
        if (e instanceof IOException && e.getCause() != null) {
            return "Connection failed: " + e.getMessage();
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    /**
     * "Cannot reach the server 127.0.0.1:5222: connection refused. Is the server running, and are host and port
     * right?" rather than Smack's list of resolver endpoints; every address tried is named.
     */
    private static String unreachable(SmackException.EndpointConnectionException e) {
        java.util.List<String> tried = new java.util.ArrayList<>();
        for (org.jivesoftware.smack.util.rce.RemoteConnectionException<?> failure : e.getConnectionExceptions()) {
            java.net.InetSocketAddress address = failure.getAddress().getInetSocketAddress();
            String reason = failure.getException() instanceof ConnectException ? "connection refused"
                    : failure.getException() instanceof java.net.SocketTimeoutException ? "no answer in time"
                    : failure.getException() instanceof java.net.NoRouteToHostException ? "no route to it"
                    : String.valueOf(failure.getException().getMessage());
            tried.add(address.getHostString() + ":" + address.getPort() + " (" + reason + ")");
        }
        for (org.jivesoftware.smack.util.rce.RemoteConnectionEndpointLookupFailure lookup : e.getLookupFailures()) {
            tried.add(lookup.getDescription() + " (" + lookup.getException().getMessage() + ")");
        }
        if (tried.isEmpty()) {
            return "Cannot reach the server: " + e.getMessage();
        }
        return "Cannot reach the server at " + String.join(", ", tried)
                + ". Is the server running, and are its name and port right (Advanced)?";
    }
}
