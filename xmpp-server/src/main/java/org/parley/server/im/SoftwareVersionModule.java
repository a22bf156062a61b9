package org.parley.server.im;

/** XEP-0092 for the server itself, advertised as {@code jabber:iq:version} in its disco#info. */
public final class SoftwareVersionModule extends FeatureModule {

    /** @param version Parley's version, e.g. {@code 0.1.0-SNAPSHOT} */
    public SoftwareVersionModule(String version) {
        super("XEP-0092 Software Version (Parley)", SoftwareVersionHandler.NS, new SoftwareVersionHandler(version));
    }
}
