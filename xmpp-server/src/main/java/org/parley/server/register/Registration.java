package org.parley.server.register;

import java.time.Clock;
import java.time.Duration;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xml.fragment.XMLText;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.IQStanza;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.apache.vysper.xmpp.stanza.StanzaErrorType;
import org.apache.vysper.xmpp.stanza.XMPPCoreStanza;
import org.parley.server.accounts.AccountException;
import org.parley.server.accounts.AccountService;
import org.parley.server.guard.AddressKey;
import org.parley.server.guard.SlidingWindow;
import org.parley.server.routing.StanzaErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In-band registration, XEP-0077: account creation before authentication (only over TLS, throttled per
 * IP address), password change and account removal after it.
 */
public final class Registration {

    private static final Logger LOG = LoggerFactory.getLogger(Registration.class);
    private static final String NS = "jabber:iq:register";

    /** The reply to send, and whether the requester's account is gone (its streams must end). */
    public record Outcome(Stanza reply, boolean accountRemoved) {
    }

    private final AccountService accounts;
    private volatile boolean enabled;
    private final int perAddressPerHour;
    /** Registrations per address in the last hour: this node's, or the cluster's once {@link #share}d. */
    private volatile SlidingWindow window;

    public Registration(AccountService accounts, boolean enabled, int perAddressPerHour, Clock clock) {
        this.accounts = accounts;
        this.enabled = enabled;
        this.perAddressPerHour = perAddressPerHour;
        this.window = SlidingWindow.local(clock);
    }

    /** Counts registrations from now on in {@code shared} (a cluster's window, issue 19) instead of this node's. */
    public void share(SlidingWindow shared) {
        this.window = shared;
    }

    /** Whether new accounts may be created in band (advertised as a stream feature). */
    public boolean enabled() {
        return enabled;
    }

    /** Turns in-band account creation on or off until the next start (the admin console, issue 20). */
    public void setEnabled(boolean on) {
        this.enabled = on;
    }

    /**
     * Handles a {@code jabber:iq:register} IQ.
     *
     * @param user the authenticated user, or null before authentication
     */
    public Outcome handle(Stanza stanza, Entity user, String remoteAddress) {
        if (!(XMPPCoreStanza.getWrapper(stanza) instanceof IQStanza iq)) {
            return new Outcome(null, false);
        }
        XMLElement query = iq.getFirstInnerElement();
        if (iq.getIQType() == IQStanzaType.GET) {
            return new Outcome(form(iq, user), false);
        }
        if (iq.getIQType() != IQStanzaType.SET) {
            return new Outcome(null, false);
        }
        if (!query.getInnerElementsNamed("remove").isEmpty()) {
            return remove(iq, user);
        }
        String username = text(query, "username");
        String password = text(query, "password");
        if (user != null) {
            return new Outcome(changePassword(iq, user, username, password), false);
        }
        return new Outcome(create(iq, username, password, remoteAddress), false);
    }

    private Stanza form(IQStanza iq, Entity user) {
        StanzaBuilder reply = StanzaBuilder.createIQStanza(null, iq.getFrom(), IQStanzaType.RESULT, iq.getID())
                .startInnerElement("query", NS);
        if (user != null) {
            reply.startInnerElement("registered", NS).endInnerElement();
            reply.startInnerElement("username", NS).addText(user.getNode()).endInnerElement();
        } else {
            if (!enabled) {
                return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, "registration is disabled");
            }
            reply.startInnerElement("instructions", NS).addText("Choose a username and password.").endInnerElement();
            reply.startInnerElement("username", NS).endInnerElement();
        }
        reply.startInnerElement("password", NS).endInnerElement();
        return reply.endInnerElement().build();
    }

    private Stanza create(IQStanza iq, String username, String password, String remoteAddress) {
        if (!enabled) {
            return StanzaErrors.error(iq, StanzaErrorCondition.SERVICE_UNAVAILABLE, "registration is disabled");
        }
        if (username == null || password == null) {
            return StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY,
                    "username and password are required");
        }
        Long admitted = admit(remoteAddress);
        if (admitted == null) {
            LOG.info("registration from {} throttled", remoteAddress);
            // Says the limit, so the person (and the page) can tell waiting from a mistake.
            return StanzaErrors.error(iq, StanzaErrorCondition.RESOURCE_CONSTRAINT, StanzaErrorType.WAIT,
                    "too many new accounts from your address (at most " + perAddressPerHour
                            + " an hour); try again later");
        }
        try {
            if (accounts.exists(username)) {
                release(remoteAddress, admitted);
                return StanzaErrors.error(iq, StanzaErrorCondition.CONFLICT, StanzaErrorType.CANCEL,
                        "that username is taken");
            }
            accounts.create(username, password);
        } catch (AccountException e) {
            // Only created accounts count against the limit: a taken name or a weak password is a first-time
            // user's ordinary mistake, and must not lock them out for an hour.
            release(remoteAddress, admitted);
            StanzaErrorCondition condition = e.getMessage() != null && e.getMessage().contains("taken")
                    ? StanzaErrorCondition.CONFLICT : StanzaErrorCondition.NOT_ACCEPTABLE;
            return StanzaErrors.error(iq, condition, StanzaErrorCondition.CONFLICT == condition
                    ? StanzaErrorType.CANCEL : StanzaErrorType.MODIFY, e.getMessage());
        }
        LOG.info("registered account {} from {}", username, remoteAddress);
        return result(iq);
    }

    private Stanza changePassword(IQStanza iq, Entity user, String username, String password) {
        if (password == null || (username != null && !username.equalsIgnoreCase(user.getNode()))) {
            return StanzaErrors.error(iq, StanzaErrorCondition.BAD_REQUEST, StanzaErrorType.MODIFY,
                    "give your own username and the new password");
        }
        try {
            accounts.setPassword(user.getNode(), password);
        } catch (AccountException e) {
            return StanzaErrors.error(iq, StanzaErrorCondition.NOT_ACCEPTABLE, StanzaErrorType.MODIFY, e.getMessage());
        }
        return result(iq);
    }

    private Outcome remove(IQStanza iq, Entity user) {
        if (user == null) {
            return new Outcome(StanzaErrors.error(iq, StanzaErrorCondition.NOT_AUTHORIZED, StanzaErrorType.AUTH,
                    "log in to remove your account"), false);
        }
        accounts.delete(user.getNode());
        LOG.info("account {} removed in band", user.getNode());
        return new Outcome(result(iq), true);
    }

    private static Stanza result(IQStanza iq) {
        return StanzaBuilder.createIQStanza(null, iq.getFrom(), IQStanzaType.RESULT, iq.getID()).build();
    }

    /** Gives back a slot taken by {@link #admit} for an attempt that created no account. */
    private void release(String address, long admitted) {
        window.release(AddressKey.of(address), admitted);
    }

    /**
     * Sliding one-hour window per address (IPv6 by /64: one subscriber holds a whole /64 and could otherwise
     * pick a fresh address per account).
     *
     * @return the slot's time (to {@link #release} it when the attempt fails), or null when over the limit
     */
    private Long admit(String address) {
        long slot = window.take(AddressKey.of(address), perAddressPerHour, Duration.ofHours(1));
        return slot < 0 ? null : slot;
    }

    private static String text(XMLElement query, String name) {
        var elements = query.getInnerElementsNamed(name);
        if (elements.isEmpty()) {
            return null;
        }
        StringBuilder text = new StringBuilder();
        for (XMLText t : elements.get(0).getInnerTexts()) {
            text.append(t.getText());
        }
        return text.toString();
    }
}
