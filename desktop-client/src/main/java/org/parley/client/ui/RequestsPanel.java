package org.parley.client.ui;

import static org.parley.client.ui.Swing.named;

import java.awt.BorderLayout;
import java.awt.GridLayout;
import java.util.function.Consumer;

import javax.swing.BorderFactory;
import javax.swing.DefaultListModel;
import javax.swing.JButton;
import javax.swing.JList;
import javax.swing.JPanel;
import javax.swing.JScrollPane;

import org.parley.client.core.Invitation;
import org.parley.client.ui.roster.RosterModel;
import org.parley.client.ui.rooms.RoomSession;
import org.parley.client.ui.rooms.RoomsModel;

/**
 * What waits for an answer: people asking to see our presence (accept or deny) and room invitations (join or
 * decline). Hidden while there is nothing.
 */
final class RequestsPanel extends JPanel {

    private static final long serialVersionUID = 1L;

    /** One entry: a subscription request or an invitation. */
    private record Request(String subscriber, Invitation invitation) {
        @Override
        public String toString() {
            return subscriber != null ? subscriber + " wants to see your presence"
                    : (invitation.inviter() == null ? "Invitation" : invitation.inviter() + " invites you")
                            + " to " + invitation.room() + (invitation.reason() == null ? "" : ": " + invitation.reason());
        }
    }

    private final DefaultListModel<Request> requests = new DefaultListModel<>();
    private final transient RosterModel roster;
    private final transient RoomsModel rooms;

    RequestsPanel(RosterModel roster, RoomsModel rooms, String nick, Consumer<RoomSession> joined,
            Consumer<String> showError) {
        super(new BorderLayout());
        setName("requests.panel");
        this.roster = roster;
        this.rooms = rooms;
        setBorder(BorderFactory.createTitledBorder("Requests"));
        JList<Request> list = named("requests.list", new JList<>(requests));
        list.setVisibleRowCount(3);
        JButton accept = named("requests.accept", new JButton("Accept"));
        JButton deny = named("requests.deny", new JButton("Deny"));
        accept.addActionListener(e -> {
            Request r = list.getSelectedValue();
            if (r != null && r.subscriber() != null) {
                roster.accept(r.subscriber(), showError);
            } else if (r != null) {
                rooms.accept(r.invitation(), nick, joined, showError);
            }
        });
        deny.addActionListener(e -> {
            Request r = list.getSelectedValue();
            if (r != null && r.subscriber() != null) {
                roster.deny(r.subscriber(), showError);
            } else if (r != null) {
                rooms.decline(r.invitation());
            }
        });
        JPanel buttons = new JPanel(new GridLayout(1, 2, 4, 0));
        buttons.add(accept);
        buttons.add(deny);
        add(new JScrollPane(list), BorderLayout.CENTER);
        add(buttons, BorderLayout.SOUTH);
        roster.addListener(this::refresh);
        rooms.addListener(new RoomsModel.Listener() {
            @Override
            public void invitationsChanged() {
                refresh();
            }
        });
        refresh();
    }

    private void refresh() {
        requests.clear();
        roster.subscriptionRequests().forEach(jid -> requests.addElement(new Request(jid, null)));
        rooms.invitations().forEach(i -> requests.addElement(new Request(null, i)));
        setVisible(!requests.isEmpty());
        revalidate();
    }
}
