package org.parley.gateway.upload;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.eclipse.jetty.http.DateGenerator;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.CrossOriginHandler;
import org.eclipse.jetty.util.Callback;
import org.parley.server.upload.FileStore;
import org.parley.server.upload.HttpUploads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP half of XEP-0363 at {@value HttpUploads#PATH}{@code /<slot>/<filename>}: PUT stores a file for a
 * slot the upload service signed (the rules are {@link HttpUploads#put}), GET and HEAD serve it.
 *
 * <p>Downloads come from the same origin as the chat page, so nothing uploaded may run as a page there:
 * every response carries {@code X-Content-Type-Options: nosniff} and a sandboxing Content-Security-Policy,
 * and only images (not SVG), audio, video and plain text are shown inline; everything else (HTML, SVG,
 * XML, scripts, PDFs, ...) is a download ({@code Content-Disposition: attachment}). Files never change, so
 * they are cacheable for a year; single byte ranges are served (seeking in audio and video, resumed
 * downloads).
 *
 * <p>File I/O blocks, so requests are handled on the server's thread pool, never on the selector; the
 * upload is streamed to disk with a 64 KiB buffer whatever its size.
 */
public final class UploadHandler extends Handler.Abstract.NonBlocking {

    private static final Logger LOG = LoggerFactory.getLogger(UploadHandler.class);
    private static final String CSP = "default-src 'none'; img-src 'self'; media-src 'self'; "
            + "style-src 'unsafe-inline'; sandbox";
    private static final String CACHE = "public, max-age=31536000, immutable";

    private final HttpUploads uploads;

    public UploadHandler(HttpUploads uploads) {
        this.uploads = uploads;
    }

    /**
     * This handler below {@value HttpUploads#PATH}, behind Jetty's {@link CrossOriginHandler}: any web page may
     * PUT and GET (XEP-0363 §11 asks for CORS; the signed URL, not a cookie, is the permission, so there are
     * no credentials to protect), and preflights are answered there.
     */
    public static Handler mounted(HttpUploads uploads) {
        CrossOriginHandler cors = new CrossOriginHandler();
        cors.setAllowedOriginPatterns(Set.of("*"));
        cors.setAllowCredentials(false);
        cors.setAllowedMethods(Set.of("GET", "HEAD", "PUT", "OPTIONS"));
        cors.setAllowedHeaders(Set.of("Content-Type", "Content-Length"));
        cors.setExposedHeaders(Set.of("Content-Length", "Content-Disposition", "Content-Range", "Accept-Ranges",
                "ETag"));
        cors.setPreflightMaxAge(Duration.ofDays(1));
        cors.setHandler(new UploadHandler(uploads));
        ContextHandler context = new ContextHandler(cors, HttpUploads.PATH);
        context.setAllowNullPathInContext(true);
        return context;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        // "/<id>/<filename>", percent-decoded (the filename was signed decoded); it has no '/' (the service
        // replaces it), and Jetty refuses encoded slashes and dot segments before we get here.
        String decoded = request.getHttpURI().getDecodedPath();
        String context = request.getContext().getContextPath();
        String path = decoded.startsWith(context) ? decoded.substring(context.length()) : decoded;
        int slash = path.indexOf('/', 1);
        if (!path.startsWith("/") || slash < 0 || slash == path.length() - 1 || path.indexOf('/', slash + 1) >= 0) {
            Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404, "no such file");
            return true;
        }
        String id = path.substring(1, slash);
        String filename = path.substring(slash + 1);
        String method = request.getMethod();
        Runnable work;
        if (HttpMethod.PUT.is(method)) {
            work = () -> put(request, response, callback, id, filename);
        } else if (HttpMethod.GET.is(method) || HttpMethod.HEAD.is(method)) {
            work = () -> get(request, response, callback, id, filename, HttpMethod.HEAD.is(method));
        } else {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD, PUT, OPTIONS");
            if (HttpMethod.OPTIONS.is(method)) {
                response.setStatus(HttpStatus.NO_CONTENT_204);
                callback.succeeded();
            } else {
                Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405,
                        "use PUT to upload and GET to download");
            }
            return true;
        }
        request.getComponents().getThreadPool().execute(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                LOG.error("upload request {} {} failed", method, path, e);
                Response.writeError(request, response, callback, HttpStatus.INTERNAL_SERVER_ERROR_500, null);
            }
        });
        return true;
    }

    private void put(Request request, Response response, Callback callback, String id, String filename) {
        String token = Request.extractQueryParameters(request).getValue("token");
        HttpUploads.PutResult result = uploads.put(id, filename, token, request.getLength(),
                request.getHeaders().get(HttpHeader.CONTENT_TYPE), Content.Source.asInputStream(request));
        if (result.status() == HttpStatus.CREATED_201) {
            response.setStatus(HttpStatus.CREATED_201);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0L);
            response.write(true, null, callback);
        } else {
            // Jetty's error pages are for GET, POST and HEAD only; a PUT's client gets the reason as one line.
            response.setStatus(result.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            Content.Sink.write(response, true, result.message() + "\n", callback);
        }
    }

    private void get(Request request, Response response, Callback callback, String id, String filename,
                     boolean head) {
        Optional<FileStore.StoredFile> found;
        InputStream content = null;
        try {
            found = uploads.find(id, filename);
            if (found.isPresent() && !head) {
                content = uploads.open(found.get());
            }
        } catch (IOException e) {
            found = Optional.empty(); // deleted while we looked
        }
        if (found.isEmpty()) {
            Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404, "no such file");
            return;
        }
        FileStore.StoredFile file = found.get();
        String etag = "\"" + file.id() + "\"";
        var headers = response.getHeaders();
        headers.put(HttpHeader.ETAG, etag);
        headers.put(HttpHeader.CACHE_CONTROL, CACHE);
        headers.put(HttpHeader.LAST_MODIFIED, DateGenerator.formatDate(file.created()));
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("Content-Security-Policy", CSP);
        headers.put("Referrer-Policy", "no-referrer");
        if (etag.equals(request.getHeaders().get(HttpHeader.IF_NONE_MATCH))) {
            closeQuietly(content);
            response.setStatus(HttpStatus.NOT_MODIFIED_304);
            response.write(true, null, callback);
            return;
        }
        headers.put(HttpHeader.CONTENT_TYPE, file.contentType());
        headers.put(new HttpField(HttpHeader.CONTENT_DISPOSITION,
                (inline(file.contentType()) ? "inline" : "attachment") + "; " + dispositionFilename(file.filename())));
        headers.put(HttpHeader.ACCEPT_RANGES, "bytes");
        long[] range = range(request.getHeaders().get(HttpHeader.RANGE), file.size());
        if (range == UNSATISFIABLE) {
            closeQuietly(content);
            headers.put(HttpHeader.CONTENT_RANGE, "bytes */" + file.size());
            Response.writeError(request, response, callback, HttpStatus.RANGE_NOT_SATISFIABLE_416, null);
            return;
        }
        long offset = range == null ? 0 : range[0];
        long length = range == null ? file.size() : range[1] - range[0] + 1;
        if (range != null) {
            response.setStatus(HttpStatus.PARTIAL_CONTENT_206);
            headers.put(HttpHeader.CONTENT_RANGE, "bytes " + range[0] + "-" + range[1] + "/" + file.size());
        } else {
            response.setStatus(HttpStatus.OK_200);
        }
        headers.put(HttpHeader.CONTENT_LENGTH, length);
        if (head) {
            response.write(true, null, callback);
            return;
        }
        ByteBufferPool.Sized buffers = new ByteBufferPool.Sized(request.getComponents().getByteBufferPool(), false,
                64 * 1024);
        Content.copy(Content.Source.from(buffers, content, offset, length), response, callback);
    }

    private static final long[] UNSATISFIABLE = new long[0];

    /**
     * RFC 9110 §14.2 for one range ({@code bytes=a-b}, {@code bytes=a-}, {@code bytes=-n}), which is what media
     * players and resumed downloads send: {first, last}, {@link #UNSATISFIABLE}, or null for the whole file
     * (no Range header, several ranges or one we do not understand: §14.2 lets a server ignore it).
     */
    static long[] range(String header, long size) {
        if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
            return null;
        }
        String spec = header.substring(6).strip();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        try {
            String a = spec.substring(0, dash).strip();
            String b = spec.substring(dash + 1).strip();
            long first;
            long last;
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b);
                if (suffix <= 0) {
                    return UNSATISFIABLE;
                }
                first = Math.max(0, size - suffix);
                last = size - 1;
            } else {
                first = Long.parseLong(a);
                last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
                if (!b.isEmpty() && Long.parseLong(b) < first) {
                    return null; // invalid: ignored
                }
            }
            return first >= size || first < 0 ? UNSATISFIABLE : new long[] {first, last};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Media a browser shows without running anything: images except SVG (a document that can hold script),
     * audio, video and plain text. The rest is offered as a download.
     */
    static boolean inline(String contentType) {
        String type = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (type.equals("text/plain")) {
            return true;
        }
        if (type.startsWith("image/")) {
            return !type.contains("svg") && !type.contains("xml");
        }
        return type.startsWith("audio/") || type.startsWith("video/");
    }

    /** RFC 6266: an ASCII fallback and the exact name as RFC 8187 {@code filename*}. */
    static String dispositionFilename(String name) {
        StringBuilder ascii = new StringBuilder();
        name.codePoints().forEach(c -> ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char) c : '_'));
        return "filename=\"" + ascii + "\"; filename*=UTF-8''"
                + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A");
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                // nothing was read
            }
        }
    }
}
