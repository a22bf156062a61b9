package org.parley.client.ui;

import java.awt.Color;
import java.awt.Component;
import java.awt.Font;
import java.awt.GridBagConstraints;
import java.awt.Insets;

import javax.swing.JComponent;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JTextArea;
import javax.swing.UIManager;

/** Small helpers shared by the Swing views. */
public final class Swing {

    private Swing() {
    }

    /** Names a component so that tests (and accessibility tools) can find it. */
    public static <T extends Component> T named(String name, T component) {
        component.setName(name);
        return component;
    }

    /**
     * Where errors are shown, in the theme's error colour, empty until there is something to say: a read-only text
     * area rather than a label, so that a long message wraps instead of being cut off ("The server refused: …
     * (too …") and can be selected and copied.
     */
    public static JTextArea errorText(String name, int columns) {
        JTextArea text = named(name, new JTextArea(" ", 1, columns));
        text.setEditable(false);
        text.setLineWrap(true);
        text.setWrapStyleWord(true);
        text.setOpaque(false);
        text.setFocusable(true); // selectable with the keyboard too
        text.setBorder(javax.swing.BorderFactory.createEmptyBorder());
        text.setFont(UIManager.getFont("Label.font"));
        Color error = UIManager.getColor("Actions.Red");
        text.setForeground(error != null ? error : Color.RED);
        return text;
    }

    public static void monospace(JComponent component) {
        component.setFont(new Font(Font.MONOSPACED, Font.PLAIN, component.getFont().getSize()));
    }

    /** A tab title with an unread badge: {@code bob (3)}. */
    public static String badge(String title, int unread) {
        return unread > 0 ? title + " (" + unread + ")" : title;
    }

    /**
     * Adds one row of a form laid out with a {@code GridBagLayout}: {@code label} (none when null) on the left,
     * {@code field} stretched to the right.
     */
    public static void formRow(JPanel panel, int y, String label, JComponent field) {
        GridBagConstraints c = new GridBagConstraints();
        c.gridy = y;
        c.insets = new Insets(4, 4, 4, 4);
        c.anchor = GridBagConstraints.WEST;
        if (label != null) {
            c.gridx = 0;
            panel.add(new JLabel(label), c);
        }
        c.gridx = 1;
        c.fill = GridBagConstraints.HORIZONTAL;
        c.weightx = 1;
        panel.add(field, c);
    }
}
