package org.parley.server.im;

import java.util.Collection;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.jivesoftware.smack.roster.AbstractRosterListener;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.RosterEntry;
import org.jivesoftware.smack.roster.RosterListener;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.Jid;

/** Waits on roster change events, never on sleeps. */
final class RosterTestSupport {

    private RosterTestSupport() {
    }

    static void awaitEntry(Roster roster, BareJid contact, Predicate<RosterEntry> condition) throws InterruptedException {
        Semaphore changed = new Semaphore(0);
        RosterListener listener = new AbstractRosterListener() {
            @Override
            public void entriesAdded(Collection<Jid> addresses) {
                changed.release();
            }

            @Override
            public void entriesUpdated(Collection<Jid> addresses) {
                changed.release();
            }

            @Override
            public void entriesDeleted(Collection<Jid> addresses) {
                changed.release();
            }
        };
        roster.addRosterListener(listener);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (true) {
                RosterEntry entry = roster.getEntry(contact);
                if (entry != null && condition.test(entry)) {
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !changed.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                    throw new AssertionError("roster item " + contact + " never reached the expected state; now "
                            + (entry == null ? "absent" : entry.getType() + " pending=" + entry.isSubscriptionPending()
                            + " approved=" + entry.isApproved()));
                }
            }
        } finally {
            roster.removeRosterListener(listener);
        }
    }
}
