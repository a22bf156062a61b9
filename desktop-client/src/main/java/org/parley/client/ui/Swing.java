package org.parley.client.ui;

import java.awt.Color;
import java.awt.Component;
import java.awt.Font;
import java.awt.GridBagConstraints;
import java.awt.Insets;

import javax.swing.JComponent;
import javax.swing.JLabel;
import javax.swing.JPanel;
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

    /** A label for errors, in the theme's error colour, empty until there is something to say. */
    public static JLabel errorLabel(String name) {
        JLabel label = named(name, new JLabel(" "));
        Color error = UIManager.getColor("Actions.Red");
        label.setForeground(error != null ? error : Color.RED);
        return label;
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
