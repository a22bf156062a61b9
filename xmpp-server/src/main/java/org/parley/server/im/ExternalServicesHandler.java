package org.parley.server.im;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.server.ServerRuntimeContext;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.parley.server.config.ServerSettings;

/**
 * External Service Discovery (XEP-0215) for the server's own users: the configured STUN/TURN servers
 * ({@code <services/>}, §3.1, optionally filtered by {@code type}) and fresh credentials for one of them
 * ({@code <credentials/>}, §3.2). TURN credentials are time-limited in the form coturn's REST API
 * ({@code use-auth-secret}) checks without asking anyone: username {@code <expiry in Unix seconds>:<bare
 * JID>}, password base64(HMAC-SHA1(shared secret, username)).
 */
final class ExternalServicesHandler extends AccountIqHandler {

    static final String NS = "urn:xmpp:extdisco:2";

    private final ServerSettings.ExternalServices settings;
    private final Clock clock;

    ExternalServicesHandler(ServerSettings.ExternalServices settings, Clock clock) {
        super("services", NS);
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    protected boolean verifyInnerElement(Stanza stanza) {
        XMLElement first = stanza.getFirstInnerElement();
        return first != null && ("services".equals(first.getName()) || "credentials".equals(first.getName()));
    }

    @Override
    protected Stanza handleGet(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        Entity requester = requester(stanza, sessionContext);
        String domain = serverRuntimeContext.getServerEnitity().getDomain();
        if (stanza.getTo() != null && stanza.getTo().getNode() != null) {
            return error(stanza, StanzaErrorCondition.SERVICE_UNAVAILABLE, StanzaErrorType.CANCEL);
        }
        if (requester == null || requester.getNode() == null || !domain.equals(requester.getDomain())) {
            // Credentials to the operator's relay are for its own users only.
            return error(stanza, StanzaErrorCondition.FORBIDDEN, StanzaErrorType.AUTH);
        }
        XMLElement query = stanza.getFirstInnerElement();
        StanzaBuilder reply = result(stanza, sessionContext);
        // One expiry for the whole answer, in whole seconds (XEP-0082 and coturn's username both use them).
        Instant expires = Instant.ofEpochSecond(clock.instant().plus(settings.credentialLifetime()).getEpochSecond());
        if ("services".equals(query.getName())) {
            String type = query.getAttributeValue("type");
            reply.startInnerElement("services", NS);
            if (type != null) {
                reply.addAttribute("type", type);
            }
            for (ServerSettings.ExternalServices.Service s : settings.servers()) {
                if (type == null || type.equals(s.type())) {
                    service(reply, s, requester, expires);
                }
            }
            return reply.endInnerElement().build();
        }
        // §3.2: <credentials><service type='turn' host='...' [port='...']/></credentials>
        List<XMLElement> asked = query.getInnerElementsNamed("service", NS);
        if (asked.size() != 1 || asked.get(0).getAttributeValue("host") == null
                || asked.get(0).getAttributeValue("type") == null) {
            return error(stanza, StanzaErrorCondition.BAD_REQUEST, StanzaErrorType.MODIFY);
        }
        XMLElement wanted = asked.get(0);
        String port = wanted.getAttributeValue("port");
        for (ServerSettings.ExternalServices.Service s : settings.servers()) {
            if (s.type().equals(wanted.getAttributeValue("type"))
                    && s.host().equalsIgnoreCase(wanted.getAttributeValue("host"))
                    && (port == null || port.equals(Integer.toString(s.port())))) {
                reply.startInnerElement("credentials", NS);
                service(reply, s, requester, expires);
                return reply.endInnerElement().build();
            }
        }
        return error(stanza, StanzaErrorCondition.ITEM_NOT_FOUND, StanzaErrorType.CANCEL);
    }

    @Override
    protected Stanza handleSet(IQStanza stanza, ServerRuntimeContext serverRuntimeContext,
            SessionContext sessionContext) {
        return error(stanza, StanzaErrorCondition.BAD_REQUEST, StanzaErrorType.MODIFY);
    }

    private void service(StanzaBuilder b, ServerSettings.ExternalServices.Service s, Entity requester,
                         Instant expires) {
        b.startInnerElement("service", NS).addAttribute("type", s.type()).addAttribute("host", s.host())
                .addAttribute("port", Integer.toString(s.port()));
        if (s.transport() != null) {
            b.addAttribute("transport", s.transport());
        }
        if (s.type().startsWith("turn") && settings.secret() != null) {
            String username = expires.getEpochSecond() + ":" + requester.getFullQualifiedName();
            b.addAttribute("username", username).addAttribute("password", password(settings.secret(), username))
                    .addAttribute("expires", expires.toString()).addAttribute("restricted", "1");
        }
        b.endInnerElement();
    }

    /** coturn's REST API password: base64(HMAC-SHA1(secret, username)). */
    static String password(String secret, String username) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            return Base64.getEncoder().encodeToString(mac.doFinal(username.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA1 is part of every JDK", e);
        }
    }
}
