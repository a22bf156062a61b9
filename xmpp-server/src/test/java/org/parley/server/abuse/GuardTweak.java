package org.parley.server.abuse;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import org.parley.server.config.ServerSettings;

/** Test settings with some of the abuse limits changed: {@code GuardTweak.of(g -> g.sessionsPerAccount = 3)}. */
public final class GuardTweak {

    public Duration headerTimeout;
    public Duration authTimeout;
    public int unauthenticatedPerAddress;
    public int connectionsPerAddressPerMinute;
    public int preAuthReadRate;
    public int readRate;
    public int stanzaRate;
    public int stanzaBurst;
    public int sendBuffer;
    public Duration writeTimeout;
    public int resumptionBuffer;
    public int sessionsPerAccount;
    public int authFailuresPerAddress;
    public Duration authBan;
    public int roomsPerHour;
    public int archiveQueriesPerMinute;
    public ServerSettings.Quotas quotas;

    private GuardTweak(ServerSettings.Guard g) {
        headerTimeout = g.headerTimeout();
        authTimeout = g.authTimeout();
        unauthenticatedPerAddress = g.unauthenticatedPerAddress();
        connectionsPerAddressPerMinute = g.connectionsPerAddressPerMinute();
        preAuthReadRate = g.preAuthReadRate();
        readRate = g.readRate();
        stanzaRate = g.stanzaRate();
        stanzaBurst = g.stanzaBurst();
        sendBuffer = g.sendBuffer();
        writeTimeout = g.writeTimeout();
        resumptionBuffer = g.resumptionBuffer();
        sessionsPerAccount = g.sessionsPerAccount();
        authFailuresPerAddress = g.authFailuresPerAddress();
        authBan = g.authBan();
        roomsPerHour = g.roomsPerHour();
        archiveQueriesPerMinute = g.archiveQueriesPerMinute();
        quotas = g.quotas();
    }

    private ServerSettings.Guard build() {
        return new ServerSettings.Guard(headerTimeout, authTimeout, unauthenticatedPerAddress,
                connectionsPerAddressPerMinute, preAuthReadRate, readRate, stanzaRate, stanzaBurst, sendBuffer,
                writeTimeout, resumptionBuffer, sessionsPerAccount, authFailuresPerAddress, authBan, roomsPerHour,
                archiveQueriesPerMinute, quotas);
    }

    /** A settings tweak for {@code TestServer.withSettings}: the test guard with {@code change} applied. */
    public static UnaryOperator<ServerSettings> of(Consumer<GuardTweak> change) {
        return s -> {
            GuardTweak g = new GuardTweak(s.limits().guard());
            change.accept(g);
            return s.withLimits(s.limits().withGuard(g.build()));
        };
    }
}
