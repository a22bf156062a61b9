package org.parley.server.im;

import java.util.List;
import java.util.Map;

import org.apache.vysper.xmpp.modules.DefaultDiscoAwareModule;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoDataForm;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoElement;
import org.apache.vysper.xmpp.modules.servicediscovery.management.InfoRequest;
import org.apache.vysper.xmpp.modules.servicediscovery.management.ServerInfoRequestListener;
import org.apache.vysper.xmpp.stanza.dataforms.DataForm;
import org.apache.vysper.xmpp.stanza.dataforms.Field;
import org.parley.server.config.ServerSettings;

/**
 * Contact Addresses for XMPP Services (XEP-0157): the {@code http://jabber.org/network/serverinfo} form in
 * the server's disco#info (XEP-0128), one {@code <kind>-addresses} field per configured kind.
 */
public final class ContactAddressesModule extends DefaultDiscoAwareModule implements ServerInfoRequestListener {

    static final String FORM_TYPE = "http://jabber.org/network/serverinfo";

    private final Map<String, List<String>> byKind;

    public ContactAddressesModule(ServerSettings.ContactAddresses addresses) {
        this.byKind = addresses.byKind();
    }

    @Override
    public String getName() {
        return "XEP-0157 Contact Addresses (Parley)";
    }

    @Override
    public String getVersion() {
        return "1.1";
    }

    @Override
    protected void addServerInfoRequestListeners(List<ServerInfoRequestListener> listeners) {
        listeners.add(this);
    }

    @Override
    public List<InfoElement> getServerInfosFor(InfoRequest request) {
        if (byKind.isEmpty() || request.getNode() != null && !request.getNode().isEmpty()) {
            return null;
        }
        DataForm form = new DataForm();
        form.setType(DataForm.Type.result);
        Field type = new Field(null, Field.Type.HIDDEN, Field.FORM_TYPE);
        type.addValue(FORM_TYPE);
        form.addField(type);
        // In the XEP's order, so the form (and any hash over it) is the same on every request.
        for (String kind : ServerSettings.ContactAddresses.KINDS) {
            List<String> uris = byKind.get(kind);
            if (uris != null) {
                Field field = new Field(null, Field.Type.LIST_MULTI, kind + "-addresses");
                uris.forEach(field::addValue);
                form.addField(field);
            }
        }
        return List.of(new InfoDataForm(form));
    }
}
