package org.parley.server.im;

import java.time.Clock;

import org.parley.server.config.ServerSettings;

/** XEP-0215 on the server, advertised as {@code urn:xmpp:extdisco:2} in its disco#info. */
public final class ExternalServicesModule extends FeatureModule {

    public ExternalServicesModule(ServerSettings.ExternalServices settings, Clock clock) {
        super("XEP-0215 External Service Discovery (Parley)", ExternalServicesHandler.NS,
                new ExternalServicesHandler(settings, clock));
    }
}
