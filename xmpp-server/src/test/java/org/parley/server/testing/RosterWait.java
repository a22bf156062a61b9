package org.parley.server.testing;

import java.util.Collection;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import org.jivesoftware.smack.packet.Presence;
import org.jivesoftware.smack.roster.AbstractRosterListener;
import org.jivesoftware.smack.roster.Roster;
import org.jivesoftware.smack.roster.RosterEntry;
import org.jivesoftware.smack.roster.RosterListener;
import org.jxmpp.jid.BareJid;
import org.jxmpp.jid.Jid;

/** Waits on roster and presence events until a condition holds (15 s at most), never on sleeps. */
public final class RosterWait {

    private RosterWait() {
    }

    /** Until {@code contact}'s roster item exists and satisfies {@code condition}. */
    public static void awaitEntry(Roster roster, BareJid contact, Predicate<RosterEntry> condition)
            throws InterruptedException {
        await(roster, () -> {
            RosterEntry entry = roster.getEntry(contact);
            return entry != null && condition.test(entry);
        }, () -> {
            RosterEntry entry = roster.getEntry(contact);
            return "roster item " + contact + " never reached the expected state; now " + (entry == null ? "absent"
                    : entry.getType() + " pending=" + entry.isSubscriptionPending() + " approved=" + entry.isApproved());
        });
    }

    /** Until {@code condition} holds, re-checked on every roster or presence change. */
    public static void await(Roster roster, BooleanSupplier condition, String what) throws InterruptedException {
        await(roster, condition, () -> "timed out waiting for " + what);
    }

    private static void await(Roster roster, BooleanSupplier condition,
                              java.util.function.Supplier<String> failure) throws InterruptedException {
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

            @Override
            public void presenceChanged(Presence presence) {
                changed.release();
            }
        };
        roster.addRosterListener(listener);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !changed.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                    throw new AssertionError(failure.get());
                }
            }
        } finally {
            roster.removeRosterListener(listener);
        }
    }
}
