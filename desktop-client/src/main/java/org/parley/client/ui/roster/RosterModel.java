package org.parley.client.ui.roster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.parley.client.core.Availability;
import org.parley.client.core.Contact;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.RosterListener;
import org.parley.client.ui.Errors;
import org.parley.client.ui.UiDispatch;
import org.jxmpp.jid.impl.JidCreate;
import org.jxmpp.stringprep.XmppStringprepException;

/**
 * The contact list: contacts grouped by roster group (RFC 6121 §2.1.2.4; contacts without a group under
 * {@value #UNGROUPED}, a contact in two groups in both), online contacts first, with presence and status
 * message; the subscription requests waiting for an answer (RFC 6121 §3.1.3); one's own status. Used on the
 * UI thread only.
 */
public final class RosterModel {

    /** The group of contacts that are in no roster group. */
    public static final String UNGROUPED = "Contacts";

    /** A roster group and its contacts, as shown. */
    public record Group(String name, List<Contact> contacts) {
    }

    /** Told (on the UI thread) when anything shown changed. */
    public interface Listener {
        void rosterChanged();
    }

    private final ParleyClient client;
    private final UiDispatch dispatch;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Set<String> requests = new LinkedHashSet<>();
    private List<Contact> contacts = List.of();
    private Availability ownAvailability = Availability.AVAILABLE;
    private String ownStatus;

    public RosterModel(ParleyClient client, UiDispatch dispatch) {
        this.client = client;
        this.dispatch = dispatch;
        dispatch.onRoster(client, new RosterListener() {
            @Override
            public void rosterChanged() {
                reload();
            }

            @Override
            public void presenceChanged(Contact contact) {
                reload();
            }

            @Override
            public void subscriptionRequested(String jid) {
                if (requests.add(jid)) {
                    fire();
                }
            }
        });
        reload();
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    private void fire() {
        listeners.forEach(Listener::rosterChanged);
    }

    /** Reads the roster again (on the worker thread) and shows it. */
    public void reload() {
        dispatch.background(client::contacts, loaded -> {
            contacts = loaded;
            fire();
        }, e -> {
            // not connected (any more): the connection state says so; keep what is shown
        });
    }

    public List<Contact> contacts() {
        return contacts;
    }

    /** The contacts by group, groups in alphabetical order with {@value #UNGROUPED} last. */
    public List<Group> groups() {
        Map<String, List<Contact>> byGroup = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        List<Contact> ungrouped = new ArrayList<>();
        for (Contact contact : contacts) {
            if (contact.groups().isEmpty()) {
                ungrouped.add(contact);
            }
            for (String group : contact.groups()) {
                byGroup.computeIfAbsent(group, g -> new ArrayList<>()).add(contact);
            }
        }
        Comparator<Contact> order = Comparator.comparing((Contact c) -> c.availability() == Availability.OFFLINE)
                .thenComparing(Contact::displayName, String.CASE_INSENSITIVE_ORDER);
        List<Group> result = new ArrayList<>();
        byGroup.forEach((name, members) -> result.add(new Group(name, members.stream().sorted(order).toList())));
        if (!ungrouped.isEmpty()) {
            result.add(new Group(UNGROUPED, ungrouped.stream().sorted(order).toList()));
        }
        return result;
    }

    /** Addresses asking to see our presence, oldest first. */
    public List<String> subscriptionRequests() {
        return List.copyOf(requests);
    }

    public Availability ownAvailability() {
        return ownAvailability;
    }

    public String ownStatus() {
        return ownStatus;
    }

    /** Sets our presence and status message (blank for none). */
    public void setOwnStatus(Availability availability, String status, Consumer<String> failed) {
        String text = status == null || status.isBlank() ? null : status.trim();
        dispatch.background(() -> {
            client.setStatus(availability, text);
            return null;
        }, done -> {
            ownAvailability = availability;
            ownStatus = text;
            fire();
        }, e -> failed.accept(Errors.describe(e)));
    }

    /** Adds a contact (and asks to see their presence); {@code name} and {@code group} may be blank. */
    public void addContact(String jid, String name, String group, Consumer<String> failed) {
        String address = jid == null ? "" : jid.trim();
        String problem = checkAddress(address);
        if (problem != null) {
            failed.accept(problem);
            return;
        }
        String display = name == null || name.isBlank() ? null : name.trim();
        String[] groups = group == null || group.isBlank() ? new String[0] : new String[] {group.trim()};
        dispatch.background(() -> {
            client.addContact(address, display, groups);
            return null;
        }, done -> reload(), e -> failed.accept(Errors.describe(e)));
    }

    /** Null when {@code jid} is a usable contact address, otherwise why not. */
    public static String checkAddress(String jid) {
        if (jid == null || jid.isBlank()) {
            return "Enter the contact's address, e.g. bob@example.org.";
        }
        try {
            if (JidCreate.entityBareFrom(jid.trim()).getLocalpart().toString().isEmpty()) {
                return "Not a user address: " + jid;
            }
        } catch (XmppStringprepException | IllegalArgumentException e) {
            return "Not a user address: " + jid;
        }
        return jid.contains("@") ? null : "Not a user address: " + jid;
    }

    /** Removes a contact (both subscriptions are cancelled). */
    public void removeContact(String jid, Consumer<String> failed) {
        dispatch.background(() -> {
            client.removeContact(jid);
            return null;
        }, done -> reload(), e -> failed.accept(Errors.describe(e)));
    }

    /** Lets {@code jid} see our presence (and asks to see theirs). */
    public void accept(String jid, Consumer<String> failed) {
        answer(jid, true, failed);
    }

    /** Refuses {@code jid}'s request. */
    public void deny(String jid, Consumer<String> failed) {
        answer(jid, false, failed);
    }

    private void answer(String jid, boolean accept, Consumer<String> failed) {
        dispatch.background(() -> {
            if (accept) {
                client.acceptSubscription(jid);
            } else {
                client.denySubscription(jid);
            }
            return null;
        }, done -> {
            requests.remove(jid);
            fire();
            reload();
        }, e -> failed.accept(Errors.describe(e)));
    }
}
