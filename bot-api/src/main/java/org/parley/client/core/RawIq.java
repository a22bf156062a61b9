package org.parley.client.core;

import org.jivesoftware.smack.packet.IQ;

/**
 * An IQ whose child element is written from ready XML, for protocols Smack has no element classes for (XEP-0402
 * bookmarks with publish options). The caller escapes what it puts in.
 */
final class RawIq extends IQ {

    private final String inner;

    RawIq(String element, String namespace, String inner) {
        super(element, namespace);
        this.inner = inner;
    }

    @Override
    protected IQChildElementXmlStringBuilder getIQChildElementBuilder(IQChildElementXmlStringBuilder xml) {
        xml.rightAngleBracket();
        xml.append(inner);
        return xml;
    }
}
