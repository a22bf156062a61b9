package org.parley.server.admin;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.parley.server.accounts.AccountService;
import org.parley.server.guard.AuthThrottle;
import org.parley.server.metrics.ServerMetrics;
import org.parley.server.muc.RoomAdministration;
import org.parley.server.register.Registration;
import org.parley.server.routing.SessionRegistry;
import org.parley.server.stream.XmppStream;
import org.parley.server.upload.HttpUploads;

/**
 * The parts of the running server the admin commands act on, handed over by {@code ParleyServer}.
 *
 * @param rooms     null when the chat service is off
 * @param uploads   null when file upload is off
 * @param send      routes a stanza from the server to an address (announcements, the message of the day)
 * @param nodes     the other nodes of a cluster ({@link OtherNodes#NONE} when the server runs alone, issue 19)
 */
public record ServerAccess(String domain, String version, Instant started, AccountService accounts,
                           DisabledAccounts disabled, MessageOfTheDay motd, SessionRegistry registry,
                           Supplier<Collection<XmppStream>> streams, RoomAdministration rooms,
                           Registration registration, ServerMetrics metrics, AuthThrottle auth,
                           Supplier<X509Certificate> certificate, HttpUploads uploads, Path dataDirectory,
                           BiConsumer<Entity, Stanza> send, Supplier<OtherNodes> nodes) {
}
