package org.parley.server.mam;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import org.parley.server.storage.ArchiveStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What keeps the message archive (XEP-0313) from growing without bound (issue 17), run by the server every
 * {@link #INTERVAL}:
 * messages older than {@code mam.retention} are deleted from every archive, and an account's archive holding
 * more than {@code limits.archive-messages-per-account} loses its oldest messages beyond that many. Room
 * archives are bounded by the retention only (a room is not an account).
 *
 * <p>Both read the archive's counters ({@code archive_counts}), so a run over accounts within their cap costs
 * one row per archive, and the retention's {@code sent_at < ?} is an index range: cheap enough to run often, so
 * that between runs an account goes over its cap by at most what it receives in that time.
 */
public final class ArchiveHousekeeping implements Runnable {

    /** How often the server runs it. */
    public static final Duration INTERVAL = Duration.ofMinutes(10);

    private static final Logger LOG = LoggerFactory.getLogger(ArchiveHousekeeping.class);

    private final ArchiveStore store;
    private final Clock clock;
    private final Duration retention;
    private final int perAccount;
    /** An account's archive is named {@code user@domain}; a room's ({@code room@conference.domain}) never ends so. */
    private final String accountSuffix;

    /**
     * @param retention  messages older than this are deleted; {@link Duration#ZERO} keeps them
     * @param perAccount messages kept per account archive
     * @param domain     the server's domain: the archives {@code user@domain} are accounts'
     */
    public ArchiveHousekeeping(ArchiveStore store, Clock clock, Duration retention, int perAccount, String domain) {
        if (perAccount < 1) {
            throw new IllegalArgumentException("the archive cap must be positive");
        }
        this.store = store;
        this.clock = clock;
        this.retention = retention;
        this.perAccount = perAccount;
        this.accountSuffix = "@" + domain;
    }

    /** One run: the retention purge, then the per-account cap. Failures are logged, the next run tries again. */
    @Override
    public void run() {
        try {
            purgeOld();
        } catch (RuntimeException e) {
            LOG.error("archive retention run failed: {}", e.getMessage());
        }
        try {
            capAccounts();
        } catch (RuntimeException e) {
            LOG.error("archive cap run failed: {}", e.getMessage());
        }
    }

    /** Deletes what is older than the retention; returns how many. */
    public int purgeOld() {
        if (retention.isZero()) {
            return 0;
        }
        int n = store.deleteOlderThan(clock.instant().minus(retention));
        if (n > 0) {
            LOG.info("archive retention: {} messages older than {} deleted", n, retention);
        }
        return n;
    }

    /**
     * Deletes the oldest messages of every account archive beyond the cap, each account logged at INFO with how
     * many; returns how many in all.
     */
    public int capAccounts() {
        int total = 0;
        for (Map.Entry<String, Long> over : store.archivesOver(perAccount).entrySet()) {
            String archive = over.getKey();
            if (!archive.endsWith(accountSuffix) || archive.length() == accountSuffix.length()) {
                continue; // a room's archive, or a component's: bounded by the retention only
            }
            int n = store.deleteOldestBeyond(archive, perAccount);
            if (n > 0) {
                LOG.info("archive cap: {} oldest messages of {} deleted (limits.archive-messages-per-account = {})",
                        n, archive, perAccount);
            }
            total += n;
        }
        return total;
    }
}
