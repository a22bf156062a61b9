package org.parley.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.igniterealtime.smack.inttest.XmppConnectionDescriptor;
import org.igniterealtime.smack.inttest.XmppConnectionManager;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnection;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnectionConfiguration;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;

/**
 * One way of connecting SINT to Parley; the whole suite runs once per profile in {@link #all()}.
 *
 * <p>SINT 4.5 has no port setting: it connects to whatever the service domain resolves to. A profile
 * therefore hands SINT its own {@link XmppConnectionDescriptor}s, each pinned to Parley's loopback address
 * and ephemeral port, and removes SINT's built-in descriptors (which would resolve {@code localhost} and try
 * port 5222). The first descriptor is the profile's default connection: SINT's main connections, the
 * account-registration connection and the low-level tests use it. Further descriptors serve SINT tests that
 * ask for a specific connection class (e.g. {@code ModularXmppClientToServerConnectionLowLevelIntegrationTest}
 * asks for a {@link ModularXmppClientToServerConnection}).
 *
 * <p>Every descriptor must call {@link ParleyEndpoint#trust} on its configuration builder: TLS required, and
 * trust in exactly the server's certificate (SINT's {@code serviceTlsPin} does not work with this Smack
 * version, see there). SINT additionally sets security mode "required" on every connection.
 *
 * <p>To add WebSocket or BOSH once Parley serves them: add the endpoint to {@link ParleyEndpoint}, and a
 * profile here, e.g. {@code new ConnectionProfile("parley-websocket", "WebSocket (RFC 7395)", e -> List.of(
 * XmppConnectionDescriptor.buildWebsocketDescriptor(...)))}; results of non-default profiles are keyed
 * {@code Class.method@nickname} in the reports and lists.
 *
 * @param nickname    SINT's connection nickname of the default descriptor; also names the profile
 * @param description what the profile exercises, for the report
 * @param descriptors the descriptors for a running server, default first
 */
record ConnectionProfile(String nickname, String description,
                         Function<ParleyEndpoint, List<XmppConnectionDescriptor<?, ?, ?>>> descriptors) {

    static final String DEFAULT_NICKNAME = "parley-tcp";

    /** Descriptors SINT 4.5.0-beta5 registers statically (XmppConnectionManager's static initializer). */
    private static final List<String> SINT_BUILT_IN = List.of(
            "tcp", "modular", "modular-nocompress", "modular-websocket-okhttp", "modular-websocket-java11");

    private static final List<String> INSTALLED = new ArrayList<>();

    /** Every profile the suite runs over. WebSocket and BOSH are not served by Parley yet. */
    static List<ConnectionProfile> all() {
        return List.of(tcp());
    }

    /** RFC 6120 TCP with STARTTLS, with Smack's classic and its modular connection. */
    static ConnectionProfile tcp() {
        return new ConnectionProfile(DEFAULT_NICKNAME, "TCP c2s, STARTTLS required (RFC 6120)", endpoint -> {
            try {
                return List.of(
                        XmppConnectionDescriptor.buildWith(XMPPTCPConnection.class,
                                        XMPPTCPConnectionConfiguration.class, XMPPTCPConnectionConfiguration.Builder.class)
                                .withNickname(DEFAULT_NICKNAME)
                                .applyExtraConfiguration(b -> {
                                    b.setHostAddress(endpoint.address()).setPort(endpoint.c2sPort());
                                    endpoint.trust(b);
                                })
                                .build(),
                        XmppConnectionDescriptor.buildWith(ModularXmppClientToServerConnection.class,
                                        ModularXmppClientToServerConnectionConfiguration.class,
                                        ModularXmppClientToServerConnectionConfiguration.Builder.class)
                                .withNickname("parley-modular-tcp")
                                .applyExtraConfiguration(b -> {
                                    b.setHostAddress(endpoint.address()).setPort(endpoint.c2sPort());
                                    endpoint.trust(b);
                                })
                                .build());
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("SINT cannot build a descriptor: " + e, e);
            }
        });
    }

    /**
     * Makes this profile's descriptors the only ones SINT knows (SINT keeps them in static state, copied
     * by every run's connection manager).
     */
    void install(ParleyEndpoint endpoint) {
        synchronized (INSTALLED) {
            SINT_BUILT_IN.forEach(XmppConnectionManager::removeConnectionDescriptor);
            INSTALLED.forEach(XmppConnectionManager::removeConnectionDescriptor);
            INSTALLED.clear();
            List<XmppConnectionDescriptor<?, ?, ?>> list = descriptors.apply(endpoint);
            if (list.isEmpty() || !list.get(0).getNickname().equals(nickname)) {
                throw new IllegalStateException("profile " + nickname + ": the first descriptor must be named " + nickname);
            }
            for (XmppConnectionDescriptor<?, ?, ?> descriptor : list) {
                XmppConnectionManager.addConnectionDescriptor(descriptor);
                INSTALLED.add(descriptor.getNickname());
            }
        }
    }
}
