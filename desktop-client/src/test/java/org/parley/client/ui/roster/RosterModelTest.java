package org.parley.client.ui.roster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.parley.client.core.Clients.next;

import java.util.List;
import java.util.concurrent.BlockingQueue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.parley.client.core.Availability;
import org.parley.client.core.Clients;
import org.parley.client.core.Contact;
import org.parley.client.core.ParleyClient;
import org.parley.client.core.RosterListener;
import org.parley.client.ui.TestUi;
import org.parley.server.testing.TestServer;

/** The contact list's logic (RFC 6121 roster, presence, subscriptions) against a real server. */
class RosterModelTest {

    @RegisterExtension
    static final TestServer server = TestServer.withUsers("alice", "bob", "carol");

    @Test
    void groupsPresenceStatusSubscriptionRequestsAcceptDenyAndRemove() throws Exception {
        try (TestUi ui = new TestUi()) {
            ParleyClient alice = Clients.login(server, "alice");
            ParleyClient bob = Clients.client(server, "bob");
            ParleyClient carol = Clients.login(server, "carol");
            BlockingQueue<String> bobAsked = Clients.queue();
            bob.addRosterListener(new RosterListener() {
                @Override
                public void subscriptionRequested(String jid) {
                    bobAsked.add(jid);
                }
            });
            bob.login(TestServer.PASSWORD);
            try {
                RosterModel model = ui.get(() -> new RosterModel(alice, ui.dispatch()));
                List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();

                ui.run(() -> model.addContact("not an address", "", "", errors::add));
                assertEquals(List.of("Not a user address: not an address"), errors, "refused before anything is sent");

                // RFC 6121 §3.1: alice asks bob, bob approves and asks back; alice asked first, so that second
                // request needs no click of hers (§3.4 pre-approval, or her client approving it): one step.
                ui.run(() -> model.addContact("bob@localhost", "Bob", "Friends", errors::add));
                next(bobAsked, "alice@localhost"::equals, "bob is asked");
                bob.acceptSubscription("alice@localhost");
                ui.until(() -> has(model, "Friends", "Bob", Availability.AVAILABLE, null), "bob online under Friends");
                assertEquals(List.of(), ui.get(model::subscriptionRequests), "alice was not asked to accept bob");

                bob.setStatus(Availability.AWAY, "at lunch");
                ui.until(() -> has(model, "Friends", "Bob", Availability.AWAY, "at lunch"), "bob's status shown");

                // own status: bob sees it
                ui.run(() -> model.setOwnStatus(Availability.DO_NOT_DISTURB, " in a meeting ", errors::add));
                ui.until(() -> model.ownAvailability() == Availability.DO_NOT_DISTURB, "own status set");
                assertEquals("in a meeting", ui.get(model::ownStatus));
                ui.until(() -> contacts(bob).stream().anyMatch(c -> c.jid().equals("alice@localhost")
                        && c.availability() == Availability.DO_NOT_DISTURB && "in a meeting".equals(c.status())),
                        "bob sees alice's status");

                // A contact without a group is listed under "Contacts"; a denied request disappears.
                carol.addContact("alice@localhost", null);
                ui.until(() -> model.subscriptionRequests().contains("carol@localhost"), "carol's request shown");
                ui.run(() -> model.deny("carol@localhost", errors::add));
                ui.until(() -> model.subscriptionRequests().isEmpty(), "carol's request answered");
                ui.until(() -> contacts(carol).stream().anyMatch(c -> c.jid().equals("alice@localhost")
                        && !c.pendingOut() && c.subscription().equals("none")), "carol is refused");
                ui.run(() -> model.addContact("carol@localhost", "", "", errors::add));
                ui.until(() -> model.groups().stream().anyMatch(g -> g.name().equals(RosterModel.UNGROUPED)
                        && g.contacts().stream().anyMatch(c -> c.jid().equals("carol@localhost"))), "carol ungrouped");
                assertEquals(List.of("Friends", RosterModel.UNGROUPED),
                        ui.get(() -> model.groups().stream().map(RosterModel.Group::name).toList()));

                ui.run(() -> model.removeContact("bob@localhost", errors::add));
                ui.until(() -> model.contacts().stream().noneMatch(c -> c.jid().equals("bob@localhost")), "bob removed");
                assertEquals(List.of("Not a user address: not an address"), errors);
            } finally {
                alice.close();
                bob.close();
                carol.close();
            }
        }
    }

    private static boolean has(RosterModel model, String group, String name, Availability availability, String status) {
        return model.groups().stream().anyMatch(g -> g.name().equals(group) && g.contacts().stream().anyMatch(
                c -> c.displayName().equals(name) && c.availability() == availability
                        && java.util.Objects.equals(c.status(), status)));
    }

    private static List<Contact> contacts(ParleyClient client) {
        try {
            return client.contacts();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
