package org.parley.server.guard;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.parley.server.config.ServerSettings;

/**
 * The server's protection against one client taking it down (issue 17), shared by every transport: per-address
 * admission ({@link AddressGate}), password-guessing throttle ({@link AuthThrottle}), per-session stanza
 * buckets, per-account budgets for expensive operations, and one timer for deadlines and delayed answers.
 */
public final class Guard implements AutoCloseable {

    private final ServerSettings.Guard settings;
    private final AddressGate gate;
    private final AuthThrottle auth;
    private final ScheduledThreadPoolExecutor timer;
    private final AccountBudget rooms;
    private final AccountBudget archiveQueries;

    public Guard(ServerSettings.Guard settings) {
        this.settings = settings;
        this.gate = new AddressGate(settings.unauthenticatedPerAddress(), settings.connectionsPerAddressPerMinute());
        this.auth = new AuthThrottle(settings.authFailuresPerAddress(), settings.authBan());
        this.rooms = new AccountBudget(settings.roomsPerHour(), Duration.ofHours(1));
        this.archiveQueries = new AccountBudget(settings.archiveQueriesPerMinute(), Duration.ofMinutes(1));
        AtomicInteger n = new AtomicInteger();
        this.timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "parley-guard-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        // Deadlines are cancelled far more often than they fire: drop them from the queue at once.
        timer.setRemoveOnCancelPolicy(true);
    }

    /** Told the name of each limit that refused something (metrics: parley_limit_hits_total). */
    private volatile java.util.function.Consumer<String> limitHits = limit -> { };

    /** Where limit hits are counted ({@link #LIMITS} names them). */
    public void countLimitHits(java.util.function.Consumer<String> counter) {
        this.limitHits = counter;
    }

    /** The limits whose hits are counted: a fixed set, the metric's {@code limit} label. */
    public static final java.util.List<String> LIMITS = java.util.List.of("address", "header-timeout",
            "auth-timeout", "auth-ban", "stanza-rate", "archive-queries", "rooms-per-hour", "sessions-per-account");

    /** A limit (one of {@link #LIMITS}) refused something. */
    public void hit(String limit) {
        limitHits.accept(limit);
    }

    public ServerSettings.Guard settings() {
        return settings;
    }

    public AddressGate gate() {
        return gate;
    }

    public AuthThrottle auth() {
        return auth;
    }

    /** Runs {@code task} after {@code delay} (keep it short: hand real work to the session's executor). */
    public ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        return timer.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Runs {@code task} after {@code millis} milliseconds. */
    public ScheduledFuture<?> scheduleMillis(Runnable task, long millis) {
        return timer.schedule(task, millis, TimeUnit.MILLISECONDS);
    }

    /** A fresh stanza rate bucket for one session. */
    public TokenBucket stanzaBucket() {
        return new TokenBucket(settings.stanzaBurst(), settings.stanzaRate());
    }

    /** Rooms an account may still create (XEP-0045 §10.1): false when it created too many this hour. */
    public boolean mayCreateRoom(String account) {
        if (rooms.tryTake(account)) {
            return true;
        }
        hit("rooms-per-hour");
        return false;
    }

    /** Archive queries (XEP-0313) an account may make: false when it made too many this minute. */
    public boolean mayQueryArchive(String account) {
        if (archiveQueries.tryTake(account)) {
            return true;
        }
        hit("archive-queries");
        return false;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** A token bucket per account for one kind of expensive operation. */
    private static final class AccountBudget {
        private final int amount;
        private final Duration per;
        private final ConcurrentHashMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();
        private final AtomicInteger uses = new AtomicInteger();

        AccountBudget(int amount, Duration per) {
            this.amount = amount;
            this.per = per;
        }

        boolean tryTake(String account) {
            if (uses.incrementAndGet() % 1024 == 0) {
                buckets.values().removeIf(TokenBucket::isFull);
            }
            double perSecond = amount / (per.toNanos() / 1e9);
            return buckets.computeIfAbsent(account, k -> new TokenBucket(amount, perSecond)).tryTake();
        }
    }
}
