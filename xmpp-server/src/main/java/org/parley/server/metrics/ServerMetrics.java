package org.parley.server.metrics;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * Parley's own meters and the JVM's, in one Micrometer registry in Prometheus form from the first meter on, so
 * that nothing counted before the web gateway starts serving {@code /metrics} is lost.
 *
 * <p>Labels are bounded sets chosen here (transport, stanza kind, outcome, SASL mechanism), never user names or
 * addresses: a label value per user would grow the exposition without bound and leak who is online.
 */
public final class ServerMetrics implements AutoCloseable {

    /** The transports a stream can run over; {@code StreamTransport#kind()} gives one of these. */
    public static final List<String> TRANSPORTS = List.of("tcp", "websocket", "bosh");
    /** Message types of a delivery: the {@code type} label of {@code parley_delivery_seconds}. */
    public static final List<String> MESSAGE_TYPES = List.of("chat", "groupchat", "normal", "headline", "error");
    /**
     * Fixed histogram buckets for latencies (seconds): 0.5 ms to 10 s, a dozen buckets, so a scrape stays small
     * while p99 in the millisecond range can be told apart.
     */
    public static final Duration[] LATENCY_BUCKETS = {Duration.ofNanos(500_000), Duration.ofMillis(1),
            Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(10)};
    private static final List<String> KINDS = List.of("message", "presence", "iq");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Counter> stanzasIn = new ConcurrentHashMap<>();
    private final Map<String, Counter> stanzasOut = new ConcurrentHashMap<>();
    private final Map<String, Counter> logins = new ConcurrentHashMap<>();
    private final Map<String, Timer> deliveries = new ConcurrentHashMap<>();
    private final Map<String, Counter> limitHits = new ConcurrentHashMap<>();
    private final Counter uploadBytes;
    private final Counter otherIn;
    private final Counter otherOut;
    /** Listens to the JVM's GC notifications until closed: one listener per server, not one per server ever started. */
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public ServerMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        for (String kind : KINDS) {
            stanzasIn.put(kind, stanzaCounter("in", kind));
            stanzasOut.put(kind, stanzaCounter("out", kind));
        }
        otherIn = stanzaCounter("in", "other");
        otherOut = stanzaCounter("out", "other");
        uploadBytes = Counter.builder("parley.upload.bytes").description("Bytes of files uploaded (XEP-0363)")
                .baseUnit("bytes").register(registry);
        for (String type : MESSAGE_TYPES) {
            deliveries.put(type, Timer.builder("parley.delivery")
                    .description("Messages routed to a local account: time from the relay taking the message to it being"
                            + " written to the recipient's connection (or stored offline)")
                    .tags("type", type).serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
        }
    }

    /** A message delivered to a local account, routed in {@code nanos}; {@code type} is its message type. */
    public void delivered(String type, long nanos) {
        Timer t = deliveries.get(type == null ? "normal" : type);
        if (t != null) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Counts hits of these limits under {@code parley_limit_hits_total{limit=…}} (each starts at 0). */
    public void limits(List<String> names) {
        for (String name : names) {
            limitHits.put(name, Counter.builder("parley.limit.hits")
                    .description("Requests, connections or stanzas a limit refused (limits section of parley.conf)")
                    .tags("limit", name).register(registry));
        }
    }

    /** A limit refused something. */
    public void limitHit(String name) {
        Counter c = limitHits.get(name);
        if (c != null) {
            c.increment();
        }
    }

    /** Bytes of files stored by HTTP upload (XEP-0363). */
    public void uploaded(long bytes) {
        uploadBytes.increment(bytes);
    }

    /**
     * Netty's pooled allocator and the event loops of {@code loops} (pending tasks per loop): cheap gauges read
     * at scrape time.
     */
    public void netty(Iterable<io.netty.util.concurrent.EventExecutor> loops) {
        new io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics(
                io.netty.buffer.PooledByteBufAllocator.DEFAULT).bindTo(registry);
        new io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics(loops).bindTo(registry);
    }

    private Counter stanzaCounter(String direction, String kind) {
        return Counter.builder("parley.stanzas").description("Stanzas read from clients (in) and written to them (out)")
                .tags("direction", direction, "kind", kind).register(registry);
    }

    /** Stops the GC listener and closes the registry. */
    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    /** The registry every meter lives in (binders of other components register here). */
    public MeterRegistry registry() {
        return registry;
    }

    /** Every meter in the Prometheus text exposition format (0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    /** A stanza read from a client, by its element name. */
    public void stanzaIn(String element) {
        stanzasIn.getOrDefault(element, otherIn).increment();
    }

    /** A stanza written to a client, by its element name. */
    public void stanzaOut(String element) {
        stanzasOut.getOrDefault(element, otherOut).increment();
    }

    /**
     * A finished SASL authentication (RFC 6120 §6.4.5/§6.4.6).
     *
     * @param mechanism the mechanism the client chose (one of the few the server offers)
     */
    public void login(boolean success, String mechanism) {
        String outcome = success ? "success" : "failure";
        String m = mechanism == null ? "none" : mechanism;
        logins.computeIfAbsent(outcome + " " + m, k -> Counter.builder("parley.logins")
                .description("SASL authentications by outcome and mechanism")
                .tags("outcome", outcome, "mechanism", m).register(registry)).increment();
    }

    /**
     * Gauges over the live streams, by transport: those open and those authenticated.
     *
     * @param streams     the server's open streams
     * @param transport   a stream's transport kind (one of {@link #TRANSPORTS})
     * @param authenticated whether a stream's client has logged in
     */
    public <S> void streams(Collection<S> streams, java.util.function.Function<S, String> transport,
                            java.util.function.Predicate<S> authenticated) {
        for (String kind : TRANSPORTS) {
            Gauge.builder("parley.connections", streams, s -> count(s, transport, kind, x -> true))
                    .description("Open client connections (streams), logged in or not").tags("transport", kind)
                    .register(registry);
            Gauge.builder("parley.sessions", streams, s -> count(s, transport, kind, authenticated))
                    .description("Authenticated client sessions").tags("transport", kind).register(registry);
        }
    }

    private static <S> double count(Collection<S> streams, java.util.function.Function<S, String> transport,
                                    String kind, java.util.function.Predicate<S> filter) {
        int n = 0;
        for (S s : streams) {
            if (kind.equals(transport.apply(s)) && filter.test(s)) {
                n++;
            }
        }
        return n;
    }

    /** A gauge read from {@code source} at each scrape. */
    public <T> void gauge(String name, String description, T source, ToIntFunction<T> value) {
        Gauge.builder(name, source, s -> value.applyAsInt(s)).description(description).register(registry);
    }

    /** A gauge read from a supplier at each scrape, with fixed tags. */
    public void gauge(String name, String description, Tags tags, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).tags(tags).register(registry);
    }
}
