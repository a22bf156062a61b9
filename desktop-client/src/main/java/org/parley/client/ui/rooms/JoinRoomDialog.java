package org.parley.client.ui.rooms;

import static org.parley.client.ui.Swing.formRow;
import static org.parley.client.ui.Swing.named;

import java.awt.BorderLayout;
import java.awt.GridBagLayout;
import java.awt.Window;
import java.util.function.Consumer;

import javax.swing.BorderFactory;
import javax.swing.DefaultListModel;
import javax.swing.JButton;
import javax.swing.JDialog;
import javax.swing.JLabel;
import javax.swing.JList;
import javax.swing.JPanel;
import javax.swing.JPasswordField;
import javax.swing.JScrollPane;
import javax.swing.JTextField;

import org.parley.client.core.PublicRoom;
import org.parley.client.ui.Swing;

/**
 * Browse the server's public rooms and join one — or create one by entering a new name (with a password
 * for a password-protected room).
 */
public final class JoinRoomDialog extends JDialog {

    private static final long serialVersionUID = 1L;

    private final DefaultListModel<PublicRoom> rooms = new DefaultListModel<>();
    private final JTextField room = named("rooms.room", new JTextField(24));
    private final JTextField nick = named("rooms.nick", new JTextField(24));
    private final JPasswordField password = named("rooms.password", new JPasswordField(24));
    private final javax.swing.JTextArea error = Swing.errorText("rooms.error", 30);

    public JoinRoomDialog(Window owner, RoomsModel model, String defaultNick, Consumer<RoomSession> joined) {
        super(owner, "Join or create a room", ModalityType.MODELESS);
        setName("rooms.dialog");
        nick.setText(defaultNick);
        JList<PublicRoom> list = named("rooms.list", new JList<>(rooms));
        list.setCellRenderer((l, value, index, selected, focus) -> {
            JLabel label = new JLabel(value.name() == null || value.name().isBlank() ? value.jid()
                    : value.name() + " — " + value.jid());
            label.setOpaque(selected);
            if (selected) {
                label.setBackground(l.getSelectionBackground());
                label.setForeground(l.getSelectionForeground());
            }
            return label;
        });
        list.addListSelectionListener(e -> {
            if (list.getSelectedValue() != null) {
                room.setText(list.getSelectedValue().jid());
            }
        });
        JButton refresh = named("rooms.refresh", new JButton("Refresh"));
        JButton join = named("rooms.join", new JButton("Join"));
        refresh.addActionListener(e -> load(model));
        join.addActionListener(e -> {
            error.setText("Joining…");
            join.setEnabled(false);
            model.join(room.getText(), nick.getText(), new String(password.getPassword()), session -> {
                dispose();
                joined.accept(session);
            }, message -> {
                join.setEnabled(true);
                error.setText(message);
            });
        });

        JPanel form = new JPanel(new GridBagLayout());
        form.setBorder(BorderFactory.createEmptyBorder(8, 8, 8, 8));
        formRow(form, 0, "Room (name or address)", room);
        formRow(form, 1, "Nickname", nick);
        formRow(form, 2, "Password (if any; a new room gets it)", password);
        formRow(form, 3, null, error);
        JScrollPane scroll = new JScrollPane(list);
        scroll.setBorder(BorderFactory.createTitledBorder("Public rooms"));
        JPanel buttons = new JPanel();
        buttons.add(refresh);
        buttons.add(join);
        getContentPane().add(scroll, BorderLayout.CENTER);
        JPanel south = new JPanel(new BorderLayout());
        south.add(form, BorderLayout.CENTER);
        south.add(buttons, BorderLayout.SOUTH);
        getContentPane().add(south, BorderLayout.SOUTH);
        getRootPane().setDefaultButton(join);
        setSize(520, 460);
        setLocationRelativeTo(owner);
        load(model);
    }

    private void load(RoomsModel model) {
        model.browse(list -> {
            rooms.clear();
            list.forEach(rooms::addElement);
        }, error::setText);
    }

}
