package org.parley.gateway.page;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The chat page's budget (issue 16): its own JavaScript and CSS, as served (no build step, no minifier), stay
 * under 150 KB uncompressed. KB as the page itself counts them (1 KB = 1024 bytes, as in the limit it shows for
 * messages), so the budget is 153 600 bytes of every .js and .css file under web/ — except web/admin/, the admin
 * console (issue 20), a page of its own at /admin/ that the chat page never loads.
 */
class PageSizeBudgetTest {

    static final long BUDGET_BYTES = 150 * 1024;

    @Test
    void thePagesOwnJavaScriptAndCssStayUnder150KbUncompressed() throws IOException, URISyntaxException {
        Path web = Path.of(PageSizeBudgetTest.class.getResource("/web/index.html").toURI()).getParent();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(web)) {
            files = walk.filter(p -> p.toString().endsWith(".js") || p.toString().endsWith(".css"))
                    .filter(p -> !web.relativize(p).startsWith("admin"))
                    .sorted().toList();
        }
        assertTrue(files.size() >= 10, "the page's modules found under " + web + ": " + files);
        long total = 0;
        StringBuilder each = new StringBuilder();
        for (Path f : files) {
            long size = Files.size(f);
            total += size;
            each.append(String.format("%n  %7d %s", size, web.relativize(f)));
        }
        System.out.printf("chat page JavaScript and CSS: %d bytes (%.1f KB of %d KB)%s%n", total, total / 1024.0,
                BUDGET_BYTES / 1024, each);
        assertTrue(total < BUDGET_BYTES, "the page's own JS and CSS are " + total + " bytes, over the budget of "
                + BUDGET_BYTES + each);
    }
}
