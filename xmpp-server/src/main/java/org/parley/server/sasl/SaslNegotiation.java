package org.parley.server.sasl;

import java.util.Base64;
import java.util.Optional;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLElementBuilder;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.protocol.NamespaceURIs;
import org.parley.server.guard.AuthThrottle;
import org.parley.server.guard.Guard;
import org.parley.server.metrics.ServerMetrics;

/**
 * The SASL negotiation of one stream (RFC 6120 §6): {@code <auth/>}, {@code <response/>} and {@code <abort/>}
 * in, {@code <challenge/>}, {@code <success/>} and {@code <failure/>} out, with a bounded number of failures
 * (§6.4.5) and the brute-force throttle of issue 17 ({@link AuthThrottle}). The mechanisms themselves know
 * nothing of XML ({@link SaslMechanism}); the stream knows nothing of SASL beyond handing these elements here
 * and being told the outcome through its {@link Host}.
 *
 * <p>Runs on the session's serial executor, like the stream that owns it.
 */
public final class SaslNegotiation {

    /** RFC 6120 §6's namespace. */
    public static final String NS = "urn:ietf:params:xml:ns:xmpp-sasl";
    private static final int MAX_FAILURES = 3;
    private static final String BANNED = "too many failed authentications from your address; try again later";

    /** What the negotiation needs from its stream. */
    public interface Host {
        /** The peer's address, for the throttle and logs. */
        String remoteAddress();

        /** Whether the connection is encrypted (PLAIN and device tokens need it). */
        boolean isSecure();

        /** Writes a SASL element to the peer. */
        void send(XMLElement element);

        /**
         * SASL succeeded for the local part {@code username}: the stream moves on and restarts (§6.4.6), before
         * {@code <success/>} goes out.
         */
        void authenticated(String username);

        /**
         * The throttle holds an outcome back: nothing else may come from the peer until {@code outcome} runs,
         * {@code delayMillis} later, on the stream's executor.
         */
        void hold(long delayMillis, Runnable outcome);

        /** Ends the stream with {@code <policy-violation/>} and {@code text}. */
        void refuse(String text);
    }

    private final SaslMechanisms mechanisms;
    private final Guard guard;
    private final ServerMetrics metrics;
    private final Host host;
    /** The exchange under way, or null. */
    private SaslMechanism mechanism;
    private int failures;

    public SaslNegotiation(SaslMechanisms mechanisms, Guard guard, ServerMetrics metrics, Host host) {
        this.mechanisms = mechanisms;
        this.guard = guard;
        this.metrics = metrics;
        this.host = host;
    }

    /** Whether the element is one this negotiation takes (anything else in {@link #NS} is an unknown one). */
    public static boolean handles(XMLElement element) {
        return switch (element.getName()) {
            case "auth", "response", "abort" -> true;
            default -> false;
        };
    }

    /** Whether a mechanism waits for a {@code <response/>}. */
    public boolean inProgress() {
        return mechanism != null;
    }

    /** The stream feature: {@code <mechanisms/>} with those offered on this connection (§6.4.1). */
    public XMLElement feature() {
        XMLElementBuilder feature = new XMLElementBuilder("mechanisms", NS);
        for (String name : mechanisms.names(host.isSecure())) {
            feature.startInnerElement("mechanism", NS).addText(name).endInnerElement();
        }
        return feature.build();
    }

    /** One of {@code <auth/>}, {@code <response/>}, {@code <abort/>} (see {@link #handles}). */
    public void handle(XMLElement element) {
        switch (element.getName()) {
            case "auth" -> auth(element);
            case "response" -> {
                if (mechanism == null) {
                    failure("malformed-request", "no authentication in progress");
                    return;
                }
                byte[] response;
                try {
                    response = payload(element, false);
                } catch (IllegalArgumentException e) {
                    failure("incorrect-encoding", null);
                    return;
                }
                step(mechanism.respond(response));
            }
            case "abort" -> {
                mechanism = null;
                host.send(new XMLElementBuilder("failure", NS).startInnerElement("aborted", NS).endInnerElement().build());
            }
            default -> throw new IllegalArgumentException("not a SASL request: " + element.getName());
        }
    }

    private void auth(XMLElement element) {
        if (guard.auth().banned(host.remoteAddress())) {
            guard.hit("auth-ban");
            host.refuse(BANNED);
            return;
        }
        String name = element.getAttributeValue("mechanism");
        Optional<SaslMechanism> created = name == null ? Optional.empty() : mechanisms.create(name, host.isSecure());
        if (created.isEmpty()) {
            failure("invalid-mechanism", null);
            return;
        }
        mechanism = created.get();
        byte[] initial;
        try {
            initial = payload(element, true);
        } catch (IllegalArgumentException e) {
            failure("incorrect-encoding", null);
            return;
        }
        step(mechanism.start(initial));
    }

    /** Base64 payload of auth/response; "=" is an empty one; absent text is null for auth (§6.4.2). */
    private static byte[] payload(XMLElement element, boolean nullWhenAbsent) {
        StringBuilder text = new StringBuilder();
        for (XMLText t : element.getInnerTexts()) {
            text.append(t.getText());
        }
        String payload = text.toString().trim();
        if (payload.isEmpty()) {
            return nullWhenAbsent ? null : new byte[0];
        }
        if (payload.equals("=")) {
            return new byte[0];
        }
        return Base64.getDecoder().decode(payload);
    }

    /**
     * A mechanism's step. An outcome (success or failure) goes through the {@link AuthThrottle}: a failure is
     * counted and logged, and both are held back by the delay the address's and the account's recent failures
     * earn, so guessing gets slower and slower while the owner still gets in (only later).
     */
    private void step(SaslStep step) {
        if (step instanceof SaslStep.Challenge) {
            outcome(step, false);
            return;
        }
        String address = host.remoteAddress();
        String account = mechanism == null ? null : mechanism.attemptedUsername();
        boolean banned = step instanceof SaslStep.Failure && guard.auth().failed(address, account);
        long delay = guard.auth().delayMillis(address, account);
        if (delay <= 0) {
            outcome(step, banned);
            return;
        }
        host.hold(delay, () -> outcome(step, banned));
    }

    private void outcome(SaslStep step, boolean banned) {
        if (step instanceof SaslStep.Challenge challenge) {
            host.send(new XMLElementBuilder("challenge", NS).addText(base64(challenge.data())).build());
        } else if (step instanceof SaslStep.Success success) {
            metrics.login(true, mechanism == null ? null : mechanism.name());
            mechanism = null;
            host.authenticated(success.username());
            byte[] extra = success.additionalData();
            XMLElementBuilder done = new XMLElementBuilder("success", NS);
            if (extra != null && extra.length > 0) {
                done.addText(base64(extra));
            }
            host.send(done.build());
        } else if (step instanceof SaslStep.Failure failure) {
            metrics.login(false, mechanism == null ? null : mechanism.name());
            mechanism = null;
            if (failure(failure.condition().elementName(), failure.text()) && banned) {
                host.refuse(BANNED);
            }
        }
    }

    /** Sends {@code <failure/>}; false (and the stream ends) once the failures allowed are used up. */
    private boolean failure(String condition, String text) {
        XMLElementBuilder f = new XMLElementBuilder("failure", NS).startInnerElement(condition, NS).endInnerElement();
        if (text != null) {
            f.startInnerElement("text", NS).addAttribute(NamespaceURIs.XML, "lang", "en").addText(text).endInnerElement();
        }
        host.send(f.build());
        if (++failures >= MAX_FAILURES) {
            // RFC 6120 §6.4.5: a bounded number of retries, then the stream ends.
            host.refuse("too many failed authentication attempts");
            return false;
        }
        return true;
    }

    private static String base64(byte[] data) {
        return data == null || data.length == 0 ? "=" : Base64.getEncoder().encodeToString(data);
    }
}
