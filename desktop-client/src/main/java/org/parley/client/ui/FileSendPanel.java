package org.parley.client.ui;

import static org.parley.client.ui.Swing.named;

import java.awt.BorderLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

import javax.swing.JButton;
import javax.swing.JFileChooser;
import javax.swing.JPanel;
import javax.swing.JProgressBar;

/**
 * "Send file…" next to a chat's or room's input: picks a file, uploads it through the server's HTTP File Upload
 * service (XEP-0363) with a progress bar, and sends the link. Servers without the service say so in one line.
 */
public final class FileSendPanel extends JPanel {

    private static final long serialVersionUID = 1L;

    /** Starts one upload: the file, a progress sink (bytes sent; -1 when over), where errors go. */
    @FunctionalInterface
    public interface Sender {
        void send(Path file, LongConsumer progress, Consumer<String> failed);
    }

    private final JProgressBar bar;
    private final transient Sender sender;
    private final transient Consumer<String> showError;

    public FileSendPanel(String prefix, Sender sender, Consumer<String> showError) {
        super(new BorderLayout(4, 0));
        this.sender = sender;
        this.showError = showError;
        this.bar = named(prefix + ".upload", new JProgressBar());
        bar.setStringPainted(true);
        bar.setVisible(false);
        JButton pick = named(prefix + ".file", new JButton("Send file…"));
        pick.setToolTipText("Send a file or picture (uploaded to your server)");
        pick.addActionListener(e -> {
            JFileChooser chooser = new JFileChooser();
            if (chooser.showOpenDialog(this) == JFileChooser.APPROVE_OPTION) {
                send(chooser.getSelectedFile().toPath());
            }
        });
        add(bar, BorderLayout.CENTER);
        add(pick, BorderLayout.EAST);
    }

    /** Uploads and sends {@code file} (what the button does after the file chooser). Call on the UI thread. */
    public void send(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (java.io.IOException e) {
            showError.accept("Cannot read " + file.getFileName() + ": " + e.getMessage());
            return;
        }
        bar.setMaximum((int) Math.min(Integer.MAX_VALUE, Math.max(1, size / 1024)));
        bar.setValue(0);
        bar.setString(file.getFileName() + " 0%");
        bar.setVisible(true);
        revalidate();
        sender.send(file, sent -> {
            if (sent < 0) {
                bar.setVisible(false);
                revalidate();
            } else {
                bar.setValue((int) Math.min(bar.getMaximum(), sent / 1024));
                bar.setString(file.getFileName() + " " + (size == 0 ? 100 : sent * 100 / size) + "%");
            }
        }, showError);
    }

    /** One line for a failed upload. */
    public static String describe(Path file, Exception e) {
        if (e instanceof UnsupportedOperationException) {
            return "Your server does not accept files (it offers no HTTP File Upload).";
        }
        return "Could not send " + file.getFileName() + ": " + Errors.describe(e);
    }
}
