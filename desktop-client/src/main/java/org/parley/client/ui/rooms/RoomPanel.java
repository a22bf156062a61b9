package org.parley.client.ui.rooms;

import static org.parley.client.ui.Swing.named;

import java.awt.BorderLayout;
import java.awt.Dimension;
import java.awt.GridLayout;
import java.util.function.Consumer;

import javax.swing.DefaultListModel;
import javax.swing.JButton;
import javax.swing.JLabel;
import javax.swing.JList;
import javax.swing.JOptionPane;
import javax.swing.JPanel;
import javax.swing.JScrollPane;
import javax.swing.JSplitPane;
import javax.swing.JTextField;

import org.parley.client.core.Occupant;

/**
 * One room tab: subject, transcript with join/leave notices, occupants with their roles, input, and
 * buttons to invite, change the subject and leave. A thin view over {@link RoomsModel}.
 */
public final class RoomPanel extends JPanel {

    private static final long serialVersionUID = 1L;

    private final String jid;
    private final JLabel subject = named("room.subject", new JLabel(" "));
    private final org.parley.client.ui.Transcript transcript = new org.parley.client.ui.Transcript("room.transcript");
    private final DefaultListModel<String> occupants = new DefaultListModel<>();
    private final JTextField input = named("room.input", new JTextField());

    public RoomPanel(RoomsModel model, RoomSession session, Consumer<String> showError) {
        super(new BorderLayout());
        this.jid = session.jid();
        setName("room:" + jid);
        JList<String> occupantList = named("room.occupants", new JList<>(occupants));
        JScrollPane occupantScroll = new JScrollPane(occupantList);
        occupantScroll.setPreferredSize(new Dimension(170, 100));

        JButton send = named("room.send", new JButton("Send"));
        Runnable sendNow = () -> {
            model.send(jid, input.getText(), showError);
            input.setText("");
        };
        send.addActionListener(e -> sendNow.run());
        input.addActionListener(e -> sendNow.run());

        JButton invite = named("room.invite", new JButton("Invite…"));
        invite.addActionListener(e -> {
            JTextField who = named("room.invite.jid", new JTextField());
            JTextField reason = named("room.invite.reason", new JTextField());
            if (JOptionPane.showConfirmDialog(this, new Object[] {"Address", who, "Message (optional)", reason},
                    "Invite to " + session.name(), JOptionPane.OK_CANCEL_OPTION) == JOptionPane.OK_OPTION) {
                model.invite(jid, who.getText(), reason.getText(), showError);
            }
        });
        JButton changeSubject = named("room.subject.change", new JButton("Subject…"));
        changeSubject.addActionListener(e -> {
            String text = JOptionPane.showInputDialog(this, "New subject", session.subject() == null ? "" : session.subject());
            if (text != null) {
                model.changeSubject(jid, text, showError);
            }
        });
        JButton leave = named("room.leave", new JButton("Leave"));
        leave.addActionListener(e -> model.leave(jid));

        JPanel top = new JPanel(new BorderLayout());
        top.add(subject, BorderLayout.CENTER);
        JPanel actions = new JPanel(new GridLayout(1, 3, 4, 0));
        actions.add(changeSubject);
        actions.add(invite);
        actions.add(leave);
        top.add(actions, BorderLayout.EAST);

        JPanel bottom = new JPanel(new BorderLayout(4, 0));
        bottom.add(input, BorderLayout.CENTER);
        JPanel sending = new JPanel(new BorderLayout(4, 0));
        sending.add(send, BorderLayout.WEST);
        sending.add(new org.parley.client.ui.FileSendPanel("room", (file, progress, failed) ->
                model.sendFile(jid, file, progress, failed), showError), BorderLayout.EAST);
        bottom.add(sending, BorderLayout.EAST);

        JSplitPane split = new JSplitPane(JSplitPane.HORIZONTAL_SPLIT, new JScrollPane(transcript), occupantScroll);
        split.setResizeWeight(1.0);
        add(top, BorderLayout.NORTH);
        add(split, BorderLayout.CENTER);
        add(bottom, BorderLayout.SOUTH);
        show(session);
    }

    public String jid() {
        return jid;
    }

    /** Shows the room as it is now. */
    public void show(RoomSession session) {
        subject.setText(session.subject() == null ? "(no subject)" : session.subject());
        java.util.List<org.parley.client.ui.Transcript.Line> lines = new java.util.ArrayList<>();
        for (RoomLine line : session.lines()) {
            String reactions = line.reactionSummary();
            String extra = ((line.edited() ? "(edited) " : "") + (reactions.isEmpty() ? "" : "[" + reactions + "]")).strip();
            lines.add(new org.parley.client.ui.Transcript.Line(line.time(), line.notice() ? null : line.from(), line.text(),
                    line.outgoing(), extra));
        }
        transcript.show(lines);
        occupants.clear();
        for (Occupant o : session.occupants()) {
            // Only the roles that matter to others are shown: "(participant)" on everyone says nothing.
            occupants.addElement("moderator".equals(o.role()) ? o.nick() + " (moderator)"
                    : "visitor".equals(o.role()) ? o.nick() + " (visitor, cannot speak)" : o.nick());
        }
    }

    public void focusInput() {
        input.requestFocusInWindow();
    }
}
