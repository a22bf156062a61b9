package org.parley.client.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The message view's rendering: sender groups, day separators, links, escaping. */
class TranscriptTest {

    private static Instant at(int day, int hour, int minute) {
        return LocalDateTime.of(2026, 12, day, hour, minute).atZone(ZoneId.systemDefault()).toInstant();
    }

    @Test
    void groupsBySenderSeparatesDaysAndLinksAddresses() {
        String html = Transcript.render(List.of(
                new Transcript.Line(at(5, 23, 58), "bob", "hi", false, ""),
                new Transcript.Line(at(5, 23, 59), "bob", "see https://example.org/a?b=1&c=2.", false, "[👍 alice]"),
                new Transcript.Line(at(6, 0, 1), "bob", "past midnight", false, ""),
                new Transcript.Line(at(6, 0, 2), null, "carol joined", false, ""),
                new Transcript.Line(at(6, 0, 3), "me", "<b>not bold</b>", true, "(edited)"),
                new Transcript.Line(at(6, 0, 20), "me", "later", true, "")));
        assertEquals(2, count(html, "— "), "one separator per day: " + html);
        assertEquals(2, count(html, "<b>bob</b>"), "bob's name once per day, his next message grouped under it");
        assertEquals(2, count(html, ">me</b>"), "a new group after a notice and after five minutes");
        assertTrue(html.contains("<a href='https://example.org/a?b=1&amp;c=2'>https://example.org/a?b=1&amp;c=2</a>."),
                "the link without the full stop: " + html);
        assertTrue(html.contains("&lt;b&gt;not bold&lt;/b&gt;"), "text is escaped");
        assertTrue(html.contains("[👍 alice]") && html.contains("(edited)"), "reactions and corrections shown");
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
