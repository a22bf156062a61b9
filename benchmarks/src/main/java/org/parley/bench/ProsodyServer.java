package org.parley.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Debian's Prosody, in the foreground, with benchmarks/servers/prosody.cfg.lua. */
final class ProsodyServer extends Server {
    private final Path templates;

    private final boolean archiveAll;

    ProsodyServer(Path dir, Path templates, boolean archiveAll) throws IOException {
        super("Prosody", dir);
        this.templates = templates;
        this.archiveAll = archiveAll;
    }

    @Override
    void prepare() throws IOException {
        makeCertificate(dir);
        Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(dir.resolve("certs")); // Prosody indexes it even with explicit ssl paths
        Files.writeString(dir.resolve("prosody.cfg.lua"), template(templates, "prosody.cfg.lua", Map.of(
                "DIR", dir.toString(), "C2S_PORT", String.valueOf(c2sPort), "HTTP_PORT", String.valueOf(httpPort),
                "ARCHIVE_ALL", String.valueOf(archiveAll))));
    }

    @Override
    List<String> command() {
        return List.of("prosody", "--config", dir.resolve("prosody.cfg.lua").toString(), "-F");
    }

    @Override
    String version() {
        try {
            return "Prosody " + run("dpkg-query", "-W", "-f=${Version}", "prosody").trim();
        } catch (IllegalStateException e) {
            return "Prosody";
        }
    }
}
