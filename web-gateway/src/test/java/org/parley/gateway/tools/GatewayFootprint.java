package org.parley.gateway.tools;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.parley.gateway.WebGateway;
import org.parley.gateway.testing.RawBosh;
import org.parley.server.ParleyServer;
import org.parley.server.config.ServerSettings;
import org.parley.server.testing.RawClient;
import org.parley.server.testing.TestServer;

/**
 * Measures what idle web clients cost the server: heap per idle BOSH session (logged in, one request held)
 * and per idle WebSocket connection (logged in), and the threads that held BOSH requests occupy. Not a test:
 * run it by hand (see README, "Web gateway footprint").
 *
 * <p>The server runs in a child JVM ({@code serve} mode, serial GC so that a full collection leaves only live
 * objects), so the clients' own objects are not counted; this JVM drives N raw BOSH and N raw WebSocket clients
 * (java.net.http) against it and asks the child for its heap after full GCs and its thread counts.
 */
public final class GatewayFootprint {

    private GatewayFootprint() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("serve")) {
            serve(Integer.parseInt(args[1]));
        } else {
            drive(args.length > 0 ? Integer.parseInt(args[0]) : 1000);
        }
    }

    // ---- the server JVM ----

    private static void serve(int users) throws Exception {
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("parley-footprint-");
        TestServer server = TestServer.start(dir, s -> s
                .withLimits(new ServerSettings.Limits(s.limits().stanzaBytes(), s.limits().preAuthStanzaBytes(),
                        Duration.ofHours(1), Duration.ofHours(1), s.limits().offlinePerUser(), s.limits().scramIterations()))
                .withHttp(new ServerSettings.Http("127.0.0.1", 0, -1, List.of("self", "loopback"),
                        new ServerSettings.Bosh(Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMinutes(2)))));
        ParleyServer parley = server.server();
        WebGateway gateway = WebGateway.start(parley, server.settings());
        ExecutorService creating = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        List<Future<?>> created = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            String name = "u" + i;
            created.add(creating.submit(() -> server.createUser(name)));
        }
        for (Future<?> f : created) {
            f.get();
        }
        creating.shutdown();
        out.println("READY " + gateway.httpPort());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.equals("stats")) {
                long heap = heapAfterGc();
                out.println("STATS " + heap + " " + Thread.activeCount() + " "
                        + ManagementFactory.getThreadMXBean().getThreadCount() + " " + gateway.busyHttpThreads() + " "
                        + gateway.boshSessions() + " " + gateway.heldBoshRequests() + " " + gateway.webSockets() + " "
                        + parley.openStreams());
            } else if (line.equals("c2s")) {
                out.println("C2S " + parley.c2sPort());
            } else if (line.equals("threads")) {
                java.util.Map<String, Long> byName = new java.util.TreeMap<>();
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    byName.merge(t.getName().replaceAll("[-#]?\\d+$", "").replaceAll("@[0-9a-f]+.*", ""), 1L, Long::sum);
                }
                out.println("THREADS " + byName);
            } else if (line.equals("histogram")) {
                String histogram = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                        new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                        new Object[] {null}, new String[] {String[].class.getName()});
                histogram.lines().limit(Integer.getInteger("histogramLines", 40)).forEach(l -> out.println("HISTO " + l));
                out.println("HISTO-END");
            } else if (line.startsWith("dump ")) {
                ManagementFactory.getPlatformMBeanServer().invoke(
                        new javax.management.ObjectName("com.sun.management:type=HotSpotDiagnostic"), "dumpHeap",
                        new Object[] {line.substring(5), true}, new String[] {String.class.getName(), "boolean"});
                out.println("DUMPED");
            } else if (line.equals("quit")) {
                break;
            }
        }
        parley.close();
        gateway.close();
        server.close();
        out.println("BYE");
    }

    private static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(200); // a tool, not a test: let finalization and reference processing settle
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    // ---- the driving JVM ----

    private record Stats(long heap, int threads, int busyHttp, int boshSessions, int heldRequests, int webSockets,
                         int streams) {
        static Stats parse(String line) {
            String[] f = line.split(" ");
            return new Stats(Long.parseLong(f[1]), Integer.parseInt(f[3]), Integer.parseInt(f[4]), Integer.parseInt(f[5]),
                    Integer.parseInt(f[6]), Integer.parseInt(f[7]), Integer.parseInt(f[8]));
        }

        @Override
        public String toString() {
            return String.format("heap %,d KiB, threads %d (busy HTTP %d), BOSH sessions %d (held requests %d),"
                            + " WebSockets %d, XMPP streams %d", heap / 1024, threads, busyHttp, boshSessions, heldRequests,
                    webSockets, streams);
        }
    }

    private static void drive(int n) throws Exception {
        // -Dkinds=tcp measures only idle TCP sessions; default all three kinds.
        java.util.Set<String> kinds = java.util.Set.of(System.getProperty("kinds", "bosh,websocket,tcp").split(","));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx1g", "-XX:+UseSerialGC"));
        // -DserverJvmArgs="-XX:StartFlightRecording=..." profiles the server JVM.
        String extra = System.getProperty("serverJvmArgs", "").trim();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.split("\\s+")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), GatewayFootprint.class.getName(), "serve",
                String.valueOf(3 * n + 3)));
        Process server = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader fromServer = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        PrintStream toServer = new PrintStream(server.getOutputStream(), true, StandardCharsets.UTF_8);
        String ready = readUntil(fromServer, "READY ");
        int port = Integer.parseInt(ready.substring("READY ".length()).trim());
        URI bosh = URI.create("http://127.0.0.1:" + port + "/http-bind");
        URI ws = URI.create("ws://127.0.0.1:" + port + "/xmpp-websocket");
        toServer.println("c2s");
        int c2sPort = Integer.parseInt(readUntil(fromServer, "C2S ").substring("C2S ".length()).trim());
        System.out.println("server ready on port " + port + " (c2s " + c2sPort + "); " + n + " clients of each of "
                + kinds);

        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newFixedThreadPool(8)).connectTimeout(Duration.ofSeconds(30)).build();
        HttpClient wsHttp = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
        // Warm-up: the first login initialises one-off state (e.g. Vysper's stringprep tables, about 15 MB on the
        // first resource binding) that would otherwise be charged to the first kind of session measured.
        RawBosh warmBosh = new RawBosh(bosh, http);
        warmBosh.create(300, 1, "");
        warmBosh.login("u" + (2 * n), "web");
        warmBosh.next("type='terminate'", "");
        webSocketLogin(wsHttp, ws, "u" + (2 * n + 1)).sendClose(WebSocket.NORMAL_CLOSURE, "").get(30, TimeUnit.SECONDS);
        tcpLogin(c2sPort, "u" + (3 * n + 2), "warm").close();

        Stats base = stats(fromServer, toServer);
        System.out.println("idle server:             " + base);
        histogram(fromServer, toServer);

        ExecutorService logins = Executors.newFixedThreadPool(32);
        long started;
        Stats afterBosh = base;
        if (kinds.contains("bosh")) {
        List<Future<CompletableFuture<HttpResponse<String>>>> held = new ArrayList<>();
        started = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String user = "u" + i;
            held.add(logins.submit(() -> {
                RawBosh client = new RawBosh(bosh, http);
                client.create(300, 1, "");
                client.login(user, "web");
                return client.nextAsync("", ""); // held by the server for up to five minutes
            }));
        }
        for (Future<?> f : held) {
            f.get(5, TimeUnit.MINUTES);
        }
        System.out.printf("%d BOSH logins in %d ms%n", n, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        afterBosh = stats(fromServer, toServer);
        System.out.println("+" + n + " idle BOSH:         " + afterBosh);
        histogram(fromServer, toServer);
        toServer.println("threads");
        System.out.println("  threads by name:       " + readUntil(fromServer, "THREADS ").substring("THREADS ".length()));
        System.out.printf("heap per idle BOSH session (logged in, 1 request held): %,d bytes%n",
                (afterBosh.heap() - base.heap()) / n);
        System.out.printf("threads: %d idle; %d with %d BOSH requests held, of which %d busy HTTP threads (Jetty's"
                        + " acceptor and selector); the HTTP pool grew with the concurrent logins, not with held requests%n",
                base.threads(), afterBosh.threads(), afterBosh.heldRequests(), afterBosh.busyHttp());
        }

        Stats afterWs = afterBosh;
        if (kinds.contains("websocket")) {
        List<Future<WebSocket>> sockets = new ArrayList<>();
        started = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String user = "u" + (n + i);
            sockets.add(logins.submit(() -> webSocketLogin(wsHttp, ws, user)));
        }
        for (Future<WebSocket> f : sockets) {
            f.get(5, TimeUnit.MINUTES);
        }
        System.out.printf("%d WebSocket logins in %d ms%n", n, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        afterWs = stats(fromServer, toServer);
        System.out.println("+" + n + " idle WebSockets:   " + afterWs);
        histogram(fromServer, toServer);
        System.out.printf("heap per idle WebSocket connection (logged in):          %,d bytes%n",
                (afterWs.heap() - afterBosh.heap()) / n);
        }

        if (kinds.contains("tcp")) {
            // As the load benchmark's idle scenario: STARTTLS, SCRAM-SHA-1, resource, initial presence, roster.
            List<Future<RawClient>> tcp = new ArrayList<>();
            started = System.nanoTime();
            for (int i = 0; i < n; i++) {
                String user = "u" + (2 * n + i);
                tcp.add(logins.submit(() -> tcpLogin(c2sPort, user, "tcp")));
            }
            for (Future<RawClient> f : tcp) {
                f.get(5, TimeUnit.MINUTES);
            }
            System.out.printf("%d TCP logins in %d ms%n", n, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            Stats afterTcp = stats(fromServer, toServer);
            System.out.println("+" + n + " idle TCP:          " + afterTcp);
            histogram(fromServer, toServer);
            System.out.printf("heap per idle TCP session (STARTTLS, SCRAM, bound, presence, roster): %,d bytes%n",
                    (afterTcp.heap() - afterWs.heap()) / n);
        }

        String dump = System.getProperty("heapDump"); // -DheapDump=/tmp/server.hprof: for finding what a session holds
        if (dump != null) {
            toServer.println("dump " + dump);
            readUntil(fromServer, "DUMPED");
            System.out.println("heap dump of the server: " + dump);
        }
        toServer.println("quit");
        readUntil(fromServer, "BYE");
        server.waitFor(30, TimeUnit.SECONDS);
        logins.shutdownNow();
        System.exit(0);
    }

    private static WebSocket webSocketLogin(HttpClient http, URI uri, String user) throws Exception {
        LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
        WebSocket socket = http.newWebSocketBuilder().subprotocols("xmpp").buildAsync(uri, new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    messages.add(partial.toString());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
        String open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";
        socket.sendText(open, true).get();
        await(messages, "</stream:features>");
        String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + TestServer.PASSWORD)
                .getBytes(StandardCharsets.UTF_8));
        socket.sendText("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>", true).get();
        await(messages, "<success");
        socket.sendText(open, true).get();
        await(messages, "</stream:features>");
        socket.sendText("<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                + "<resource>web</resource></bind></iq>", true).get();
        await(messages, "</jid>");
        return socket;
    }

    private static final javax.net.ssl.SSLContext TRUST_ALL = trustAll();

    private static javax.net.ssl.SSLContext trustAll() {
        try {
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {
                }

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** STARTTLS, SCRAM-SHA-1 (server signature checked), bind, initial presence, roster: then left idle. */
    private static RawClient tcpLogin(int port, String user, String resource) throws Exception {
        RawClient client = new RawClient(port);
        client.openStream().await("</stream:features>");
        client.clear();
        client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>").await("<proceed");
        client.clear();
        client.upgradeToTls(TRUST_ALL);
        client.openStream().await("</stream:features>");
        client.clear();
        String nonce = Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(18));
        String clientFirstBare = "n=" + user + ",r=" + nonce;
        client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>"
                + b64("n,," + clientFirstBare) + "</auth>");
        String serverFirst = unb64(between(client.await("</challenge>"), "</challenge>"));
        java.util.Map<String, String> sf = new java.util.HashMap<>();
        for (String part : serverFirst.split(",")) {
            sf.put(part.substring(0, 1), part.substring(2));
        }
        javax.crypto.SecretKeyFactory kdf = javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA1");
        byte[] salted = kdf.generateSecret(new javax.crypto.spec.PBEKeySpec(TestServer.PASSWORD.toCharArray(),
                Base64.getDecoder().decode(sf.get("s")), Integer.parseInt(sf.get("i")), 160)).getEncoded();
        String clientFinalNoProof = "c=" + b64("n,,") + ",r=" + sf.get("r");
        String authMessage = clientFirstBare + "," + serverFirst + "," + clientFinalNoProof;
        byte[] clientKey = hmac(salted, "Client Key");
        byte[] signature = hmac(java.security.MessageDigest.getInstance("SHA-1").digest(clientKey), authMessage);
        byte[] proof = new byte[clientKey.length];
        for (int i = 0; i < proof.length; i++) {
            proof[i] = (byte) (clientKey[i] ^ signature[i]);
        }
        client.clear();
        client.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                + b64(clientFinalNoProof + ",p=" + Base64.getEncoder().encodeToString(proof)) + "</response>");
        String success = unb64(between(client.await("</success>"), "</success>"));
        String expected = "v=" + Base64.getEncoder().encodeToString(hmac(hmac(salted, "Server Key"), authMessage));
        if (!success.equals(expected)) {
            throw new IllegalStateException("wrong server signature for " + user);
        }
        client.clear();
        client.openStream().await("</stream:features>");
        client.clear();
        client.send("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource
                + "</resource></bind></iq>").await("</iq>");
        client.clear();
        client.send("<presence/>");
        client.send("<iq type='get' id='roster1'><query xmlns='jabber:iq:roster'/></iq>").await("jabber:iq:roster");
        client.clear();
        return client;
    }

    private static String between(String text, String end) {
        int close = text.indexOf(end);
        int open = text.lastIndexOf('>', close - 1);
        return text.substring(open + 1, close);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s.trim()), StandardCharsets.UTF_8);
    }

    private static byte[] hmac(byte[] key, String data) throws java.security.GeneralSecurityException {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA1");
        mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA1"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    private static void await(LinkedBlockingQueue<String> messages, String text) throws InterruptedException {
        while (true) {
            String message = messages.poll(60, TimeUnit.SECONDS);
            if (message == null) {
                throw new IllegalStateException("no " + text + " from the server");
            }
            if (message.contains(text)) {
                return;
            }
        }
    }

    /** With -Dhistogram=true: the server's biggest classes (live objects), to see where the heap goes. */
    private static void histogram(BufferedReader from, PrintStream to) throws Exception {
        if (Boolean.getBoolean("histogram")) {
            to.println("histogram");
            for (String line; !(line = from.readLine()).equals("HISTO-END"); ) {
                System.out.println(line);
            }
        }
    }

    private static Stats stats(BufferedReader from, PrintStream to) throws Exception {
        to.println("stats");
        return Stats.parse(readUntil(from, "STATS "));
    }

    private static String readUntil(BufferedReader from, String prefix) throws Exception {
        for (String line; (line = from.readLine()) != null; ) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new IllegalStateException("the server process ended before " + prefix.trim());
    }
}
