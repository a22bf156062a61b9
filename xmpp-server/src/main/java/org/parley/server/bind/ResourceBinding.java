package org.parley.server.bind;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.addressing.stringprep.ResourcePrep;
import org.apache.vysper.xmpp.addressing.stringprep.StringPrepViolationException;
import org.apache.vysper.xmpp.server.SessionContext;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.guard.Guard;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.routing.StanzaErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resource binding (RFC 6120 §7) for the streams of one server: the resource a client asks for (or one made
 * up for it), Parley's conflict policy (§7.7.2.2: the newer session takes the resource over) and the
 * per-account session cap (§7.6.2.1, XEP-0205 §4.4). Also RFC 3921's session establishment, which clients
 * still send around binding.
 */
public final class ResourceBinding {

    private static final Logger LOG = LoggerFactory.getLogger(ResourceBinding.class);

    /** RFC 6120 §7's namespace. */
    public static final String NS = "urn:ietf:params:xml:ns:xmpp-bind";
    /** RFC 3921 §3's namespace (RFC 6121 Appendix E keeps it as an optional no-op). */
    public static final String NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session";

    private final String domain;
    private final SessionRegistry registry;
    private final Consumer<SessionContext> onResourceConflict;
    private final Guard guard;

    /** @param onResourceConflict ends a session whose resource a newer session takes over (§7.7.2.2) */
    public ResourceBinding(String domain, SessionRegistry registry, Consumer<SessionContext> onResourceConflict,
                           Guard guard) {
        this.domain = domain;
        this.registry = registry;
        this.onResourceConflict = onResourceConflict;
        this.guard = guard;
    }

    /** The stream features: {@code <bind/>} (§7.4) and RFC 3921's session, marked optional (RFC 6121 Appendix E). */
    public static List<XMLElement> features() {
        return List.of(new XMLElementBuilder("bind", NS).build(), new XMLElementBuilder("session", NS_SESSION)
                .startInnerElement("optional", NS_SESSION).endInnerElement().build());
    }

    /** Whether a request is a bind request: an {@code <iq type='set'/>} with {@code <bind/>}. */
    public static boolean isBindRequest(IQStanza iq, XMLElement payload) {
        return NS.equals(payload.getNamespaceURI()) && iq.getIQType() == IQStanzaType.SET;
    }

    /** Whether {@code element} is RFC 3921 session establishment. */
    public static boolean isSessionRequest(Stanza element) {
        XMLElement payload = element.getFirstInnerElement();
        return "iq".equals(element.getName()) && "set".equals(element.getAttributeValue("type"))
                && payload != null && NS_SESSION.equals(payload.getNamespaceURI()) && "session".equals(payload.getName());
    }

    /** The empty result that session establishment always gets. */
    public static Stanza sessionResult(Stanza request) {
        return StanzaBuilder.createIQStanza(null, null, IQStanzaType.RESULT, request.getAttributeValue("id")).build();
    }

    /**
     * Binds a resource of {@code session}'s account, answering through {@code reply}: the result with the full
     * JID, or the error the RFC names. Returns the bound full JID, or null when refused.
     */
    public Entity bind(SessionContext session, IQStanza request, XMLElement bindElement, Consumer<Stanza> reply) {
        String requested = null;
        List<XMLElement> resources = bindElement.getInnerElementsNamed("resource");
        if (!resources.isEmpty()) {
            StringBuilder text = new StringBuilder();
            for (XMLText t : resources.get(0).getInnerTexts()) {
                text.append(t.getText());
            }
            requested = text.toString().trim();
        }
        if (requested != null && !requested.isEmpty()) {
            try {
                requested = ResourcePrep.prepare(requested);
            } catch (StringPrepViolationException e) {
                requested = null;
            }
            if (requested == null || requested.isEmpty()
                    || requested.getBytes(StandardCharsets.UTF_8).length > 1023) {
                reply.accept(StanzaErrors.error(request, StanzaErrorCondition.BAD_REQUEST,
                        "resource is not a valid resourcepart (RFC 6120 §7.7.2.1)"));
                return null;
            }
            Entity wanted = new EntityImpl(session.getInitiatingEntity().getNode(), domain, requested);
            // RFC 6120 §7.7.2.2: Parley's conflict policy is "override": the older session is told
            // <conflict/> and closed, the new one gets the resource it asked for.
            var replaced = registry.find(wanted);
            if (replaced.isEmpty() && overSessionCap(session, request, reply)) {
                return null;
            }
            replaced.ifPresent(old -> onResourceConflict.accept(old.session()));
        } else if (overSessionCap(session, request, reply)) {
            return null;
        }
        Entity fullJid = registry.bind(session, requested).fullJid();
        reply.accept(StanzaBuilder.createIQStanza(null, null, IQStanzaType.RESULT, request.getID())
                .startInnerElement("bind", NS).startInnerElement("jid", NS)
                .addText(fullJid.getFullQualifiedName()).endInnerElement().endInnerElement().build());
        LOG.debug("bound {}", fullJid.getFullQualifiedName());
        return fullJid;
    }

    /**
     * RFC 6120 §7.6.2.1 (XEP-0205 §4.4): an account may have at most {@code limits.sessions-per-account}
     * resources bound at once (detached resumable sessions count); one more is refused with
     * {@code <resource-constraint/>}, type wait.
     */
    private boolean overSessionCap(SessionContext session, IQStanza request, Consumer<Stanza> reply) {
        int cap = guard.settings().sessionsPerAccount();
        if (registry.bindingsOf(session.getInitiatingEntity()).size() < cap) {
            return false;
        }
        LOG.info("bind refused for {}: already {} sessions", session.getInitiatingEntity(), cap);
        guard.hit("sessions-per-account");
        reply.accept(StanzaErrors.error(request, StanzaErrorCondition.RESOURCE_CONSTRAINT,
                "this account already has " + cap + " sessions (the most allowed)"));
        return true;
    }
}
