package org.parley.server.transport.tcp;

import org.parley.server.stream.XmppStream;

/** Told when streams open and close, so the server can end them all at shutdown. */
public interface ConnectionTracker {

    void opened(XmppStream stream);

    void closed(XmppStream stream);
}
