package org.parley.client.ui.login;

import static org.parley.client.ui.Swing.named;

import java.awt.BorderLayout;
import java.awt.FlowLayout;
import java.awt.Window;

import javax.swing.BorderFactory;
import javax.swing.Box;
import javax.swing.BoxLayout;
import javax.swing.JButton;
import javax.swing.JDialog;
import javax.swing.JLabel;
import javax.swing.JPanel;
import javax.swing.JTextArea;

import org.parley.client.core.UntrustedCertificateException;
import org.parley.client.ui.Swing;

/**
 * Asks whether to trust a server certificate that no certificate authority vouches for: shows its SHA-256
 * fingerprint (and the previously trusted one when the certificate changed) so the user can compare it with
 * the one the server's operator published (e.g. what {@code ./parley} prints at start). Nothing is trusted
 * unless the user clicks "Trust".
 */
final class TrustDialog extends JDialog {

    private static final long serialVersionUID = 1L;

    private boolean trusted;

    private TrustDialog(Window owner, UntrustedCertificateException certificate) {
        super(owner, "Unknown server certificate", ModalityType.APPLICATION_MODAL);
        setName("trust.dialog");
        JPanel body = new JPanel();
        body.setLayout(new BoxLayout(body, BoxLayout.Y_AXIS));
        body.setBorder(BorderFactory.createEmptyBorder(12, 12, 12, 12));
        boolean changed = certificate.pinnedFingerprint() != null;
        body.add(new JLabel(changed
                ? "<html><b>The certificate of " + certificate.server() + " has CHANGED.</b><br>"
                        + "This happens when the server got a new certificate — or when someone is intercepting "
                        + "the connection.<br>Only continue if the server's operator told you about the change.</html>"
                : "<html><b>" + certificate.server() + " presents a certificate that no authority vouches for.</b><br>"
                        + "Compare its fingerprint with the one the server's operator gave you "
                        + "(<tt>./parley</tt> prints it at start).</html>"));
        body.add(Box.createVerticalStrut(10));
        body.add(new JLabel("SHA-256 fingerprint:"));
        body.add(fingerprint("trust.fingerprint", certificate.fingerprint()));
        if (changed) {
            body.add(Box.createVerticalStrut(6));
            body.add(new JLabel("Previously trusted:"));
            body.add(fingerprint("trust.previous", certificate.pinnedFingerprint()));
        }
        body.add(Box.createVerticalStrut(6));
        body.add(new JLabel("Trusting it is remembered for " + certificate.server() + "."));

        JButton trust = named("trust.accept", new JButton("Trust this certificate"));
        JButton cancel = named("trust.cancel", new JButton("Cancel"));
        trust.addActionListener(e -> {
            trusted = true;
            dispose();
        });
        cancel.addActionListener(e -> dispose());
        JPanel buttons = new JPanel(new FlowLayout(FlowLayout.RIGHT));
        buttons.add(cancel);
        buttons.add(trust);
        getRootPane().setDefaultButton(cancel); // Enter never trusts by accident
        getContentPane().add(body, BorderLayout.CENTER);
        getContentPane().add(buttons, BorderLayout.SOUTH);
        pack();
        setLocationRelativeTo(owner);
    }

    private static JTextArea fingerprint(String name, String fingerprint) {
        // 32 bytes as two lines of 16, selectable for copying
        String text = fingerprint.length() == 95 ? fingerprint.substring(0, 47) + "\n" + fingerprint.substring(48) : fingerprint;
        JTextArea area = named(name, new JTextArea(text));
        area.setEditable(false);
        area.setAlignmentX(0f);
        Swing.monospace(area);
        return area;
    }

    /** Shows the question (blocking until answered); true when the user chose to trust the certificate. */
    static boolean ask(Window owner, UntrustedCertificateException certificate) {
        TrustDialog dialog = new TrustDialog(owner, certificate);
        dialog.setVisible(true);
        return dialog.trusted;
    }
}
