package org.parley.client.ui;

import java.awt.Desktop;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.swing.JEditorPane;
import javax.swing.UIManager;
import javax.swing.event.HyperlinkEvent;
import javax.swing.text.BadLocationException;
import javax.swing.text.html.HTMLEditorKit;

/**
 * The message view of a chat or room: messages grouped by sender (the name once, then their following messages
 * within five minutes), a separator line when the day changes, web addresses as links that open in the browser,
 * notices in grey, and a message that is just a picture's address with the picture under it (see
 * {@link InlineImages}, set once for the session with {@link #showPictures}). Read-only and selectable;
 * {@link #text()} is what it shows, as plain text.
 */
public final class Transcript extends JEditorPane {

    private static final long serialVersionUID = 1L;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneId.systemDefault());
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofLocalizedDate(FormatStyle.FULL);
    private static final Duration GROUP = Duration.ofMinutes(5);
    private static final Pattern LINK = Pattern.compile("https?://[^\\s<>\"]+[^\\s<>\".,;:!?)\\]]");

    /** One line to show: {@code from} null for a notice; {@code extra} (reactions, "(edited)") after the text. */
    public record Line(Instant time, String from, String text, boolean outgoing, String extra) {
    }

    /** The session's picture loader; null (tests, before login) shows links only. */
    private static volatile InlineImages pictures;

    private String shown = "";
    private transient List<Line> lines = List.of();

    public Transcript(String name) {
        setName(name);
        setEditable(false);
        setContentType("text/html");
        putClientProperty(JEditorPane.HONOR_DISPLAY_PROPERTIES, Boolean.TRUE); // the look and feel's font
        setFont(UIManager.getFont("Label.font"));
        addHyperlinkListener(e -> {
            if (e.getEventType() == HyperlinkEvent.EventType.ACTIVATED && e.getURL() != null
                    && Desktop.isDesktopSupported() && Desktop.getDesktop().isSupported(Desktop.Action.BROWSE)) {
                try {
                    Desktop.getDesktop().browse(URI.create(e.getURL().toString()));
                } catch (Exception failed) {
                    // no browser: the address can still be selected and copied
                }
            }
        });
    }

    /** Pictures in every message view from now on (the main window sets this after login). */
    public static void showPictures(InlineImages images) {
        pictures = images;
    }

    /** Shows these lines (re-rendered only when something changed), scrolled to the end. */
    public void show(List<Line> lines) {
        this.lines = List.copyOf(lines);
        InlineImages images = pictures;
        if (images != null) {
            images.whenReady(this, () -> javax.swing.SwingUtilities.invokeLater(() -> show(this.lines)));
        }
        String html = render(lines, images);
        if (html.equals(shown)) {
            return;
        }
        shown = html;
        setText(html);
        setCaretPosition(getDocument().getLength());
    }

    /** What is shown, as plain text (tests, copying everything). */
    public String text() {
        try {
            return getDocument().getText(0, getDocument().getLength());
        } catch (BadLocationException e) {
            return "";
        }
    }

    static String render(List<Line> lines) {
        return render(lines, null);
    }

    static String render(List<Line> lines, InlineImages images) {
        StringBuilder html = new StringBuilder("<html><body style='margin:4px'>");
        LocalDate day = null;
        Line previous = null;
        for (Line line : lines) {
            LocalDate lineDay = line.time().atZone(ZoneId.systemDefault()).toLocalDate();
            if (!lineDay.equals(day)) {
                html.append("<p style='color:gray;text-align:center;margin-top:6px'>— ")
                        .append(escape(DAY.format(lineDay))).append(" —</p>");
                day = lineDay;
                previous = null;
            }
            if (line.from() == null) {
                html.append("<p style='color:gray;margin-top:2px'>").append(TIME.format(line.time())).append(' ')
                        .append(escape(line.text())).append("</p>");
                previous = null;
                continue;
            }
            boolean sameGroup = previous != null && previous.from().equals(line.from())
                    && Duration.between(previous.time(), line.time()).compareTo(GROUP) < 0;
            if (!sameGroup) {
                html.append("<p style='margin-top:6px;margin-bottom:0'><b").append(line.outgoing() ? " style='color:#2e7d32'" : "")
                        .append('>').append(escape(line.from())).append("</b> <span style='color:gray'>")
                        .append(TIME.format(line.time())).append("</span></p>");
            }
            html.append("<p style='margin-left:10px;margin-top:0;margin-bottom:0'>").append(linked(line.text()));
            if (line.extra() != null && !line.extra().isEmpty()) {
                html.append(" <span style='color:gray'>").append(escape(line.extra())).append("</span>");
            }
            html.append("</p>");
            InlineImages.Thumbnail picture = images != null && InlineImages.isPictureLink(line.text())
                    ? images.thumbnail(line.text().strip()) : null;
            if (picture != null) {
                // Swing's HTML shows <img> from a file: URL; the link opens the full picture in the browser.
                html.append("<p style='margin-left:10px;margin-top:2px;margin-bottom:2px'><a href='")
                        .append(escape(line.text().strip())).append("'><img border='0' src='")
                        .append(escape(picture.file().toUri().toString())).append("' width='").append(picture.width())
                        .append("' height='").append(picture.height()).append("' alt='picture'></a></p>");
            }
            previous = line;
        }
        return html.append("</body></html>").toString();
    }

    /** Escapes the text and turns web addresses into links. */
    static String linked(String text) {
        StringBuilder out = new StringBuilder();
        Matcher m = LINK.matcher(text);
        int at = 0;
        while (m.find()) {
            out.append(escape(text.substring(at, m.start())));
            String url = m.group();
            out.append("<a href='").append(escape(url)).append("'>").append(escape(url)).append("</a>");
            at = m.end();
        }
        out.append(escape(text.substring(at)));
        return out.toString().replace("\n", "<br>");
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;")
                .replace("\"", "&quot;");
    }
}
