package org.parley.client.ui;

import java.awt.Color;
import java.awt.Component;
import java.awt.Font;

import javax.swing.JComponent;
import javax.swing.JLabel;
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
}
