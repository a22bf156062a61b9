package org.parley.bench;

import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** Shared network pieces of the load generator (loopback only). */
final class Net {
    private Net() {
    }

    /**
     * Accepts any certificate. The servers under test run on loopback with throw-away self-signed
     * certificates generated for the run; the benchmark measures TLS cost, not trust decisions.
     */
    static final SSLContext TRUST_ALL = trustAll();

    /**
     * One HTTP client for every WebSocket and BOSH connection: its single selector thread serves all of
     * them, so the generator's thread count does not grow with the session count.
     */
    static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "bench-http");
                t.setDaemon(true);
                return t;
            }))
            .build();

    private static SSLContext trustAll() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, new SecureRandom());
            return ctx;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
