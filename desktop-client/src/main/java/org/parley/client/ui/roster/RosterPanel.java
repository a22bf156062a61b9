package org.parley.client.ui.roster;

import static org.parley.client.ui.Swing.named;

import java.awt.BorderLayout;
import java.awt.Component;
import java.awt.GridLayout;
import java.awt.event.MouseAdapter;
import java.awt.event.MouseEvent;
import java.util.function.Consumer;

import javax.swing.JButton;
import javax.swing.JOptionPane;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JTextField;
import javax.swing.JTree;
import javax.swing.tree.DefaultMutableTreeNode;
import javax.swing.tree.DefaultTreeCellRenderer;
import javax.swing.tree.DefaultTreeModel;
import javax.swing.tree.TreePath;

import org.parley.client.core.Availability;
import org.parley.client.core.Contact;

/** The contact list as a tree of groups; double-click opens a chat. A thin view over {@link RosterModel}. */
public final class RosterPanel extends JPanel {

    private static final long serialVersionUID = 1L;

    private final transient RosterModel model;
    private final transient Consumer<String> openChat;
    private final transient Consumer<String> showError;
    private final DefaultMutableTreeNode root = new DefaultMutableTreeNode("roster");
    private final JTree tree = named("roster.tree", new JTree(new DefaultTreeModel(root)));
    private final ContactRenderer renderer = new ContactRenderer();

    public RosterPanel(RosterModel model, Consumer<String> openChat, Consumer<String> showError) {
        super(new BorderLayout());
        setName("roster.panel");
        this.model = model;
        this.openChat = openChat;
        this.showError = showError;
        tree.setRootVisible(false);
        tree.setShowsRootHandles(true);
        tree.setCellRenderer(renderer);
        tree.addMouseListener(new MouseAdapter() {
            @Override
            public void mouseClicked(MouseEvent e) {
                if (e.getClickCount() == 2 && selected() != null) {
                    openChat.accept(selected().jid());
                }
            }
        });
        JButton add = named("roster.add", new JButton("Add…"));
        JButton remove = named("roster.remove", new JButton("Remove"));
        JButton chat = named("roster.chat", new JButton("Chat"));
        add.addActionListener(e -> addContact());
        remove.addActionListener(e -> removeContact());
        chat.addActionListener(e -> {
            if (selected() != null) {
                openChat.accept(selected().jid());
            }
        });
        JPanel buttons = new JPanel(new GridLayout(1, 3, 4, 0));
        buttons.add(chat);
        buttons.add(add);
        buttons.add(remove);
        add(new JScrollPane(tree), BorderLayout.CENTER);
        add(buttons, BorderLayout.SOUTH);
        model.addListener(this::refresh);
        refresh();
    }

    /** Contacts' avatars next to their names from now on (the main window sets this after login). */
    public void showAvatars(org.parley.client.ui.AvatarIcons avatars) {
        renderer.avatars = avatars;
        avatars.whenReady(this, () -> javax.swing.SwingUtilities.invokeLater(tree::repaint));
        tree.repaint();
    }

    private Contact selected() {
        TreePath path = tree.getSelectionPath();
        if (path != null && ((DefaultMutableTreeNode) path.getLastPathComponent()).getUserObject() instanceof Contact c) {
            return c;
        }
        return null;
    }

    private void refresh() {
        Contact before = selected(); // kept selected across presence updates
        root.removeAllChildren();
        for (RosterModel.Group group : model.groups()) {
            long online = group.contacts().stream().filter(c -> c.availability() != Availability.OFFLINE).count();
            DefaultMutableTreeNode node = new DefaultMutableTreeNode(group.name() + " (" + online + "/" + group.contacts().size() + ")");
            group.contacts().forEach(c -> node.add(new DefaultMutableTreeNode(c)));
            root.add(node);
        }
        ((DefaultTreeModel) tree.getModel()).reload();
        for (int i = 0; i < tree.getRowCount(); i++) {
            tree.expandRow(i);
        }
        for (int i = 0; before != null && i < tree.getRowCount(); i++) {
            if (((DefaultMutableTreeNode) tree.getPathForRow(i).getLastPathComponent()).getUserObject() instanceof Contact c
                    && c.jid().equals(before.jid())) {
                tree.setSelectionRow(i);
                break;
            }
        }
    }

    private void addContact() {
        JTextField jid = named("roster.add.jid", new JTextField());
        JTextField name = named("roster.add.name", new JTextField());
        JTextField group = named("roster.add.group", new JTextField());
        Object[] fields = {"Address (user@server)", jid, "Name (optional)", name, "Group (optional)", group};
        if (JOptionPane.showConfirmDialog(this, fields, "Add a contact", JOptionPane.OK_CANCEL_OPTION)
                == JOptionPane.OK_OPTION) {
            model.addContact(jid.getText(), name.getText(), group.getText(), showError);
        }
    }

    private void removeContact() {
        Contact contact = selected();
        if (contact != null && JOptionPane.showConfirmDialog(this, "Remove " + contact.displayName()
                + " from your contacts? Neither of you will see the other's presence any more.", "Remove contact",
                JOptionPane.OK_CANCEL_OPTION) == JOptionPane.OK_OPTION) {
            model.removeContact(contact.jid(), showError);
        }
    }

    /** Avatar, name, presence and status message; offline contacts greyed. */
    private static final class ContactRenderer extends DefaultTreeCellRenderer {
        private static final long serialVersionUID = 1L;
        private transient org.parley.client.ui.AvatarIcons avatars;

        @Override
        public Component getTreeCellRendererComponent(JTree tree, Object value, boolean selected, boolean expanded,
                boolean leaf, int row, boolean hasFocus) {
            super.getTreeCellRendererComponent(tree, value, selected, expanded, leaf, row, hasFocus);
            if (((DefaultMutableTreeNode) value).getUserObject() instanceof Contact c) {
                String presence = switch (c.availability()) {
                    case AVAILABLE, CHAT -> "<font color='#2e9e44'>●</font>";
                    case AWAY -> "<font color='#e0a800'>●</font>";
                    case EXTENDED_AWAY -> "<font color='#e06c00'>●</font>";
                    case DO_NOT_DISTURB -> "<font color='#d32f2f'>●</font>";
                    case OFFLINE -> "<font color='#9e9e9e'>○</font>";
                };
                String label = "<html>" + presence + " " + escape(c.displayName())
                        + (c.status() == null ? "" : " <i>— " + escape(c.status()) + "</i>")
                        + (c.pendingOut() ? " <i>(awaiting approval)</i>" : "") + "</html>";
                setText(label);
                setToolTipText(c.jid() + " · " + c.availability().name().toLowerCase(java.util.Locale.ROOT)
                        + " · subscription " + c.subscription());
                setEnabled(c.availability() != Availability.OFFLINE);
                javax.swing.Icon avatar = avatars == null ? null : avatars.icon(c.jid(),
                        c.subscription() + "/" + (c.availability() != Availability.OFFLINE));
                setIcon(avatar);
                setDisabledIcon(avatar); // offline contacts keep their picture (greyed text says offline)
            }
            return this;
        }

        private static String escape(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
        }
    }
}
