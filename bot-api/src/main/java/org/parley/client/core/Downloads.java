package org.parley.client.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLContext;

/**
 * Fetching a shared file into memory, bounded in bytes and in time as a whole: the request's own timeout
 * only covers the wait for the response headers, so a server that then sends its body a byte a minute
 * would hold the caller for ever; here the whole exchange is cancelled at the deadline.
 */
final class Downloads {

    static final Duration CONNECT = Duration.ofSeconds(10);
    static final Duration WHOLE = Duration.ofSeconds(30);

    private Downloads() {
    }

    static byte[] fetch(SSLContext tls, URI uri, long maxBytes, Duration whole) throws IOException, InterruptedException {
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("not a web address: " + uri);
        }
        HttpClient http = HttpClient.newBuilder().sslContext(tls).connectTimeout(CONNECT)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(
                HttpRequest.newBuilder(uri).timeout(whole).GET().build(),
                info -> info.statusCode() == 200 ? new Capped(uri, maxBytes) : HttpResponse.BodySubscribers.replacing(null));
        try {
            HttpResponse<byte[]> response = exchange.get(whole.toMillis(), TimeUnit.MILLISECONDS);
            if (response.statusCode() != 200) {
                throw new IOException(uri + " answered " + response.statusCode());
            }
            return response.body();
        } catch (TimeoutException e) {
            throw new IOException(uri + " did not arrive within " + whole.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(uri + ": " + e.getCause(), e.getCause());
        } finally {
            exchange.cancel(true); // aborts the exchange if it is still running (a no-op once complete)
        }
    }

    /** A body of at most {@code max} bytes: one byte more cancels the transfer and fails the download. */
    private static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
        private final URI uri;
        private final long max;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private Flow.Subscription subscription;

        Capped(URI uri, long max) {
            this.uri = uri;
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                if (body.isDone()) {
                    return;
                }
                if (bytes.size() + (long) buffer.remaining() > max) {
                    subscription.cancel();
                    body.completeExceptionally(new IOException(uri + " is larger than " + max + " bytes"));
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable failure) {
            body.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
