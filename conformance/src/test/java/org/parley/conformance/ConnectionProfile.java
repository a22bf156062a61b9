package org.parley.conformance;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.igniterealtime.smack.inttest.XmppConnectionDescriptor;
import org.igniterealtime.smack.inttest.XmppConnectionManager;
import org.jivesoftware.smack.ConnectionConfiguration;
import org.jivesoftware.smack.bosh.BOSHConfiguration;
import org.jivesoftware.smack.bosh.XMPPBOSHConnection;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnection;
import org.jivesoftware.smack.c2s.ModularXmppClientToServerConnectionConfiguration;
import org.jivesoftware.smack.tcp.XMPPTCPConnection;
import org.jivesoftware.smack.tcp.XMPPTCPConnectionConfiguration;
import org.jivesoftware.smack.websocket.XmppWebSocketTransportModuleDescriptor;

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
 * <p>Every TCP descriptor must call {@link ParleyEndpoint#trust} on its configuration builder: TLS required,
 * and trust in exactly the server's certificate (SINT's {@code serviceTlsPin} does not work with this Smack
 * version, see there). SINT then applies the profile's {@link #securityMode} to every connection.
 *
 * <p>Results of non-default profiles are keyed {@code Class.method@nickname} in the reports and lists.
 *
 * @param nickname    SINT's connection nickname of the default descriptor; also names the profile
 * @param description what the profile exercises, for the report
 * @param descriptors the descriptors for a running server, default first
 * @param securityMode SINT's security mode for every connection: {@code required} (TLS) over TCP;
 *                     {@code disabled} for the web profiles, which run over plain HTTP on loopback (the
 *                     server's rule for local web clients) because SINT applies its mode after a descriptor's
 *                     own configuration and "required" would refuse a ws:// or http:// transport
 */
record ConnectionProfile(String nickname, String description,
                         Function<ParleyEndpoint, List<XmppConnectionDescriptor<?, ?, ?>>> descriptors,
                         String securityMode) {

    static final String DEFAULT_NICKNAME = "parley-tcp";

    /** Descriptors SINT 4.5.0-beta5 registers statically (XmppConnectionManager's static initializer). */
    private static final List<String> SINT_BUILT_IN = List.of(
            "tcp", "modular", "modular-nocompress", "modular-websocket-okhttp", "modular-websocket-java11");

    private static final List<String> INSTALLED = new ArrayList<>();

    /** Every profile the suite runs over: TCP, and the web gateway's WebSocket and BOSH. */
    static List<ConnectionProfile> all() {
        return List.of(tcp(), webSocket(), bosh());
    }

    /** RFC 7395 WebSocket through the web gateway, with Smack's modular connection (java.net.http). */
    static ConnectionProfile webSocket() {
        return new ConnectionProfile("parley-websocket", "WebSocket (RFC 7395) via the web gateway, ws:// on loopback",
                endpoint -> {
                    try {
                        return List.of(XmppConnectionDescriptor.buildWith(ModularXmppClientToServerConnection.class,
                                        ModularXmppClientToServerConnectionConfiguration.class,
                                        ModularXmppClientToServerConnectionConfiguration.Builder.class)
                                .withNickname("parley-websocket")
                                .applyExtraConfiguration(b -> {
                                    b.removeAllModules();
                                    b.addModule(XmppWebSocketTransportModuleDescriptor.getBuilder(b)
                                            .explicitlySetWebSocketEndpointAndDiscovery(endpoint.webSocketUri(), false)
                                            .build());
                                })
                                .build());
                    } catch (NoSuchMethodException e) {
                        throw new IllegalStateException("SINT cannot build a descriptor: " + e, e);
                    }
                }, "disabled");
    }

    /** XEP-0124/0206 BOSH through the web gateway, with Smack's BOSH connection. */
    static ConnectionProfile bosh() {
        return new ConnectionProfile("parley-bosh", "BOSH (XEP-0124/XEP-0206) via the web gateway, http:// on loopback",
                endpoint -> {
                    try {
                        return List.of(XmppConnectionDescriptor.buildWith(XMPPBOSHConnection.class,
                                        BOSHConfiguration.class, BOSHConfiguration.Builder.class)
                                .withNickname("parley-bosh")
                                .applyExtraConfiguration(b -> b
                                        .setHost("localhost") // an IP literal becomes "/127.0.0.1" in Smack's BOSH URI
                                        .setPort(endpoint.httpPort())
                                        .setFile("/http-bind")
                                        .setUseHttps(false))
                                .build());
                    } catch (NoSuchMethodException e) {
                        throw new IllegalStateException("SINT cannot build a descriptor: " + e, e);
                    }
                }, "disabled");
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
        }, "required");
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
