package org.parley.server.muc;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.IQStanzaType;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;
import org.parley.server.routing.StanzaErrors;

/**
 * What the admin commands (issue 20) do with rooms. Changes run through the rooms' own XEP-0045 owner protocol
 * as the administrator (server admins own every room), so occupants see exactly what an owner's client would
 * have caused: the §10.9 destroy notice, the §10.6 affiliation changes.
 */
public final class RoomAdministration {

    public record OccupantView(String nick, String jid, String role, String affiliation, int sessions) {
    }

    public record RoomView(String jid, RoomConfig config, List<OccupantView> occupants, List<String> owners,
                           String subject) {
    }

    private final MucService service;

    RoomAdministration(MucService service) {
        this.service = service;
    }

    /** Every room, by address. */
    public List<RoomView> rooms() {
        List<RoomView> views = new ArrayList<>();
        for (Room room : service.allRooms()) {
            if (!room.isGone()) {
                views.add(room.view());
            }
        }
        views.sort(Comparator.comparing(RoomView::jid));
        return views;
    }

    /** The room at {@code jid} (its bare address at this service), if it exists. */
    public Optional<RoomView> room(Entity jid) {
        return find(jid).map(Room::view);
    }

    /** XEP-0045 §10.9 as {@code admin}: the reply is a result, or the error the room gave. */
    public Stanza destroy(Entity admin, Entity jid, String reason) {
        StanzaBuilder iq = request(admin, jid).startInnerElement("query", MucXml.MUC_OWNER)
                .startInnerElement("destroy", MucXml.MUC_OWNER);
        if (reason != null && !reason.isEmpty()) {
            iq.startInnerElement("reason", MucXml.MUC_OWNER).addText(reason).endInnerElement();
        }
        return owner(iq.endInnerElement().endInnerElement().build(), jid);
    }

    /** Replaces the room's owner list (XEP-0045 §10.5 through the configuration form's roomowners field). */
    public Stanza setOwners(Entity admin, Entity jid, List<Entity> owners) {
        StanzaBuilder iq = request(admin, jid).startInnerElement("query", MucXml.MUC_OWNER)
                .startInnerElement("x", MucXml.DATA).addAttribute("type", "submit");
        iq.startInnerElement("field", MucXml.DATA).addAttribute("var", "FORM_TYPE")
                .startInnerElement("value", MucXml.DATA).addText(MucXml.MUC_ROOMCONFIG).endInnerElement()
                .endInnerElement();
        iq.startInnerElement("field", MucXml.DATA).addAttribute("var", RoomConfig.PREFIX + "roomowners");
        for (Entity owner : owners) {
            iq.startInnerElement("value", MucXml.DATA).addText(owner.getBareJID().getFullQualifiedName())
                    .endInnerElement();
        }
        iq.endInnerElement().endInnerElement().endInnerElement();
        return owner(iq.build(), jid);
    }

    /** A message from the room itself to everyone in it; false when there is no such room. */
    public boolean say(Entity jid, String body) {
        return find(jid).map(room -> {
            boolean said = room.serviceMessage(body);
            room.flush(); // the room queues what it sends under its lock and delivers it after (Room's outbox)
            return said;
        }).orElse(false);
    }

    private Stanza owner(Stanza iq, Entity jid) {
        Optional<Room> room = find(jid);
        if (room.isEmpty()) {
            return StanzaErrors.error(iq, StanzaErrorCondition.ITEM_NOT_FOUND, "no such room");
        }
        XMLElement query = iq.getFirstInnerElement();
        Stanza answer = room.get().owner(iq, iq.getFrom(), query, true);
        room.get().flush(); // the destroy notices and affiliation changes wait in the room's outbox until now
        return answer;
    }

    private Optional<Room> find(Entity jid) {
        if (jid == null || jid.getNode() == null || !service.serviceJid().getDomain().equals(jid.getDomain())) {
            return Optional.empty();
        }
        Room room = service.roomNamed(jid.getNode().toLowerCase(Locale.ROOT));
        return room == null || room.isGone() ? Optional.empty() : Optional.of(room);
    }

    private static StanzaBuilder request(Entity admin, Entity room) {
        return StanzaBuilder.createIQStanza(admin, room.getBareJID(), IQStanzaType.SET, "admin-" + System.nanoTime());
    }
}
