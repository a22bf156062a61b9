package org.parley.client.ui;

import static org.parley.client.ui.Swing.named;

import java.awt.BorderLayout;
import java.awt.Component;
import java.awt.Dimension;
import java.awt.FlowLayout;
import java.awt.event.WindowAdapter;
import java.awt.event.WindowEvent;
import java.util.Locale;
import java.util.function.Consumer;

import javax.swing.BorderFactory;
import javax.swing.JButton;
import javax.swing.JComboBox;
import javax.swing.JFrame;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JSplitPane;
import javax.swing.JTabbedPane;
import javax.swing.JTextField;
import javax.swing.WindowConstants;

import org.parley.client.core.Availability;
import org.parley.client.core.ConnectionState;
import org.parley.client.core.ParleyClient;
import org.parley.client.ui.chat.ChatPanel;
import org.parley.client.ui.chat.ChatsModel;
import org.parley.client.ui.chat.Conversation;
import org.parley.client.ui.rooms.JoinRoomDialog;
import org.parley.client.ui.rooms.RoomPanel;
import org.parley.client.ui.rooms.RoomSession;
import org.parley.client.ui.rooms.RoomsModel;
import org.parley.client.ui.roster.RosterModel;
import org.parley.client.ui.roster.RosterPanel;
import org.parley.client.ui.settings.DesktopSettings;

/**
 * The main window after login: own status and connection state on top, requests and contacts on the left,
 * chats and rooms in tabs (titles carry unread badges). It wires the models to their views; the logic is in
 * the models.
 */
public final class MainWindow extends JFrame {

    private static final long serialVersionUID = 1L;

    private final transient ParleyClient client;
    private final transient RosterModel roster;
    private final transient ChatsModel chats;
    private final transient RoomsModel rooms;
    private final JTabbedPane tabs = named("tabs", new JTabbedPane());
    private final JPanel centre = new JPanel(new java.awt.CardLayout());
    private final JLabel connection = named("connection.state", new JLabel());
    private final javax.swing.JTextArea error = Swing.errorText("main.error", 40);
    private final transient Consumer<String> showError = message -> error.setText(message);

    public MainWindow(ParleyClient client, UiDispatch dispatch, Notifier notifier, DesktopSettings settings,
            Runnable onLogout) {
        super("Parley — " + client.settings().jid());
        setName("main.window");
        this.client = client;
        this.roster = new RosterModel(client, dispatch);
        this.chats = new ChatsModel(client, dispatch, notifier);
        this.rooms = new RoomsModel(client, dispatch, notifier);
        setDefaultCloseOperation(WindowConstants.DISPOSE_ON_CLOSE);
        try {
            Transcript.showPictures(new InlineImages(client::download)); // pictures people share, inline
        } catch (java.io.IOException e) {
            Transcript.showPictures(null); // no temporary folder: pictures stay links
        }

        // ---- top: own status, rooms, theme, logout
        JComboBox<Availability> availability = named("status.availability", new JComboBox<>(new Availability[] {
            Availability.AVAILABLE, Availability.CHAT, Availability.AWAY, Availability.EXTENDED_AWAY,
            Availability.DO_NOT_DISTURB}));
        availability.setRenderer((list, value, index, selected, focus) -> {
            JLabel label = new JLabel(value == null ? "" : label(value));
            label.setOpaque(selected);
            return label;
        });
        JTextField status = named("status.message", new JTextField(18));
        status.setToolTipText("Status message; Enter to set it");
        status.putClientProperty("JTextField.placeholderText", "Status message (Enter to set)"); // FlatLaf
        Runnable applyStatus = () -> roster.setOwnStatus((Availability) availability.getSelectedItem(), status.getText(),
                showError);
        availability.addActionListener(e -> applyStatus.run());
        status.addActionListener(e -> applyStatus.run());
        JButton browse = named("rooms.browse", new JButton("Rooms…"));
        browse.addActionListener(e -> new JoinRoomDialog(this, rooms, client.settings().username(), this::showRoom)
                .setVisible(true));
        JButton theme = named("theme.toggle", new JButton());
        Runnable themeLabel = () -> theme.setText(settings.theme() == DesktopSettings.Theme.DARK ? "Light theme" : "Dark theme");
        themeLabel.run();
        theme.addActionListener(e -> {
            DesktopSettings.Theme next = settings.theme() == DesktopSettings.Theme.DARK
                    ? DesktopSettings.Theme.LIGHT : DesktopSettings.Theme.DARK;
            settings.setTheme(next);
            Themes.apply(next);
            themeLabel.run();
        });
        JButton avatar = named("avatar.set", new JButton("Your picture…"));
        avatar.setToolTipText("Choose a picture your contacts see next to your name (XEP-0084)");
        avatar.addActionListener(e -> chooseAvatar(client, dispatch));
        JButton logout = named("logout", new JButton("Log out"));
        logout.addActionListener(e -> {
            dispose();
            onLogout.run();
        });
        JPanel top = new JPanel(new FlowLayout(FlowLayout.LEFT));
        top.add(availability);
        top.add(status);
        top.add(browse);
        top.add(avatar);
        top.add(theme);
        top.add(logout);

        // ---- left: requests and contacts
        JPanel left = new JPanel(new BorderLayout());
        left.add(new RequestsPanel(roster, rooms, client.settings().username(), this::showRoom, showError),
                BorderLayout.NORTH);
        RosterPanel rosterPanel = new RosterPanel(roster, this::openChat, showError);
        rosterPanel.showAvatars(new AvatarIcons(client::avatar));
        left.add(rosterPanel, BorderLayout.CENTER);
        left.setPreferredSize(new Dimension(300, 400));

        // The centre shows a welcome text until the first chat or room is open (the autojoin below usually opens
        // the lobby within a second; without rooms the text says what to do).
        centre.add(welcome(client.settings().username()), "welcome");
        centre.add(tabs, "tabs");
        JSplitPane split = new JSplitPane(JSplitPane.HORIZONTAL_SPLIT, left, centre);
        split.setResizeWeight(0.0);

        // ---- bottom: connection state and errors
        JPanel bottom = new JPanel(new BorderLayout(12, 0));
        bottom.setBorder(BorderFactory.createEmptyBorder(2, 6, 2, 6));
        bottom.add(connection, BorderLayout.WEST);
        bottom.add(error, BorderLayout.CENTER);
        showConnection(client.state(), null);

        getContentPane().add(top, BorderLayout.NORTH);
        getContentPane().add(split, BorderLayout.CENTER);
        getContentPane().add(bottom, BorderLayout.SOUTH);

        dispatch.onConnectionState(client, this::showConnection);
        // Now that every model listens: the initial presence, answered with offline messages and requests.
        roster.setOwnStatus(Availability.AVAILABLE, null, showError);
        autojoin(client, dispatch);
        chats.addListener(new ChatsModel.Listener() {
            @Override
            public void opened(Conversation conversation) {
                ChatPanel panel = new ChatPanel(chats, conversation.jid(), showError);
                tabs.addTab(client.displayName(conversation.jid()), panel);
                tabs.setToolTipTextAt(tabs.getTabCount() - 1, conversation.jid());
                panel.onClose(() -> {
                    chats.close(conversation.jid());
                    tabs.remove(panel);
                    badges();
                });
                panel.show(conversation);
                badges();
            }

            @Override
            public void changed(Conversation conversation) {
                ChatPanel panel = (ChatPanel) find("chat:" + conversation.jid());
                if (panel != null) {
                    panel.show(conversation);
                }
                badges();
            }
        });
        rooms.addListener(new RoomsModel.Listener() {
            @Override
            public void changed(RoomSession session) {
                RoomPanel panel = (RoomPanel) find("room:" + session.jid());
                if (panel != null) {
                    panel.show(session);
                }
                badges();
            }

            @Override
            public void left(RoomSession session) {
                Component panel = find("room:" + session.jid());
                if (panel != null) {
                    tabs.remove(panel);
                }
                badges(); // also shows the welcome text again when this was the last tab
            }
        });
        tabs.addChangeListener(e -> focusSelected());
        addWindowFocusListener(new WindowAdapter() {
            @Override
            public void windowGainedFocus(WindowEvent e) {
                chats.windowActive(true);
                rooms.windowActive(true);
                focusSelected();
            }

            @Override
            public void windowLostFocus(WindowEvent e) {
                chats.windowActive(false);
                rooms.windowActive(false);
            }
        });
        addWindowListener(new WindowAdapter() {
            @Override
            public void windowClosed(WindowEvent e) {
                // Logging out sends unavailable presence and waits for the stream's end: never on the event thread.
                dispatch.background(() -> {
                    client.close();
                    return null;
                }, done -> { }, failed -> { });
            }
        });
        setSize(1100, 700);
        setLocationRelativeTo(null);
    }

    /**
     * Enters the account's bookmarked rooms marked autojoin (XEP-0402, or XEP-0048 on older servers): the same
     * rooms the web page enters. On the first login, with nothing bookmarked, that is the lobby, which then gets
     * bookmarked for every client of the account. Failures show in the status line; the client works without.
     */
    private void autojoin(ParleyClient client, UiDispatch dispatch) {
        String nick = client.settings().username();
        dispatch.background(() -> client.autojoinRooms("lobby"), bookmarks -> {
            boolean first = true;
            for (org.parley.client.core.Bookmark b : bookmarks) {
                boolean select = first;
                first = false;
                rooms.join(b.jid(), b.nick() == null ? nick : b.nick(), b.password(), session -> {
                    Component panel = find("room:" + session.jid());
                    if (panel == null) {
                        panel = new RoomPanel(rooms, session, showError);
                        tabs.addTab(session.name(), panel);
                    }
                    if (select) {
                        tabs.setSelectedComponent(panel);
                    }
                    badges();
                }, showError);
            }
        }, e -> showError.accept("Your bookmarked rooms could not be read: " + Errors.describe(e)));
    }

    /** Lets the user pick a picture, scales it to 96×96 (XEP-0084's usual size) and publishes it. */
    private void chooseAvatar(ParleyClient client, UiDispatch dispatch) {
        javax.swing.JFileChooser chooser = new javax.swing.JFileChooser();
        chooser.setFileFilter(new javax.swing.filechooser.FileNameExtensionFilter("Pictures", "png", "jpg", "jpeg", "gif", "bmp"));
        if (chooser.showOpenDialog(this) != javax.swing.JFileChooser.APPROVE_OPTION) {
            return;
        }
        java.io.File file = chooser.getSelectedFile();
        dispatch.background(() -> {
            byte[] png = AvatarImages.squarePng(file.toPath(), 96);
            return client.setAvatar(png, 96, 96);
        }, id -> showError.accept("Your picture is set."), e -> showError.accept(e instanceof UnsupportedOperationException
                ? "Your server cannot keep a picture (it offers no PEP)." : "Picture not set: " + Errors.describe(e)));
    }

    /** What the centre shows while no chat or room is open: what this window is for and what to do next. */
    private static Component welcome(String user) {
        JLabel text = named("welcome", new JLabel("<html><div style='width:420px'>"
                + "<h2>Welcome to Parley, " + user.replace("&", "&amp;").replace("<", "&lt;") + "</h2>"
                + "<p>Your rooms open here as tabs: the lobby and every room you bookmark are entered when you log in.</p>"
                + "<p><b>Rooms…</b> (at the top) lists the rooms on your server and lets you create one.</p>"
                + "<p><b>Add…</b> (under your contacts, on the left) asks someone to share presence with you; double-click a contact to"
                + " chat. Requests from others appear on the left, above your contacts.</p></div></html>"));
        text.setVerticalAlignment(javax.swing.SwingConstants.TOP);
        text.setBorder(BorderFactory.createEmptyBorder(24, 24, 24, 24));
        return text;
    }

    private static String label(Availability a) {
        return switch (a) {
            case AVAILABLE -> "Available";
            case CHAT -> "Free to chat";
            case AWAY -> "Away";
            case EXTENDED_AWAY -> "Not available";
            case DO_NOT_DISTURB -> "Do not disturb";
            case OFFLINE -> "Offline";
        };
    }

    private void showConnection(ConnectionState state, Throwable cause) {
        String colour = switch (state) {
            case ONLINE -> "#2e9e44";
            case CONNECTING, RECONNECTING -> "#e0a800";
            case DISCONNECTED -> "#d32f2f";
        };
        connection.setText("<html><font color='" + colour + "'>●</font> " + ConnectionStatus.describe(state, cause)
                .replace("&", "&amp;").replace("<", "&lt;") + "</html>");
        connection.setToolTipText(client.jid() + " — " + state.name().toLowerCase(Locale.ROOT));
    }

    private Component find(String name) {
        for (Component c : tabs.getComponents()) {
            if (name.equals(c.getName())) {
                return c;
            }
        }
        return null;
    }

    private void openChat(String jid) {
        Conversation conversation = chats.open(jid);
        Component panel = find("chat:" + conversation.jid());
        if (panel != null) {
            tabs.setSelectedComponent(panel);
            ((ChatPanel) panel).focusInput();
        }
    }

    private void showRoom(RoomSession session) {
        Component panel = find("room:" + session.jid());
        if (panel == null) {
            panel = new RoomPanel(rooms, session, showError);
            tabs.addTab(session.name(), panel);
        }
        tabs.setSelectedComponent(panel);
        ((RoomPanel) panel).focusInput();
        badges();
    }

    private void focusSelected() {
        Component selected = tabs.getSelectedComponent();
        String name = selected == null ? "" : selected.getName();
        chats.focus(name.startsWith("chat:") ? name.substring(5) : null);
        rooms.focus(name.startsWith("room:") ? name.substring(5) : null);
    }

    /** Tab titles with unread counts; the window title with the total. */
    private void badges() {
        for (int i = 0; i < tabs.getTabCount(); i++) {
            String name = tabs.getComponentAt(i).getName();
            if (name.startsWith("chat:")) {
                Conversation c = chats.conversation(name.substring(5));
                if (c != null) {
                    tabs.setTitleAt(i, Swing.badge(client.displayName(c.jid()), c.unread()));
                }
            } else if (name.startsWith("room:")) {
                RoomSession s = rooms.session(name.substring(5));
                if (s != null) {
                    tabs.setTitleAt(i, Swing.badge(s.name(), s.unread()));
                }
            }
        }
        ((java.awt.CardLayout) centre.getLayout()).show(centre, tabs.getTabCount() == 0 ? "welcome" : "tabs");
        int unread = chats.totalUnread() + rooms.totalUnread();
        setTitle(Swing.badge("Parley — " + client.settings().jid(), unread));
    }
}
