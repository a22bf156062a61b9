package org.parley.app.check;

import java.io.Reader;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

import org.jivesoftware.smack.xml.SmackXmlParser;
import org.jivesoftware.smack.xml.XmlPullParser;
import org.jivesoftware.smack.xml.XmlPullParserException;
import org.jivesoftware.smack.xml.XmlPullParserFactory;
import org.jivesoftware.smack.xml.stax.StaxXmlPullParser;

/**
 * Makes Smack clients parse with the JDK's own StAX implementation, as a standalone Smack client does: the
 * self-check ({@code parley check}) and the conformance suite's clients, which run where Parley's jars are on the
 * class path.
 *
 * <p>Such clients share the JVM with Parley's jars, whose Aalto XML registers itself as the JVM-wide StAX
 * provider; Smack's {@code StaxXmlPullParserFactory} ({@code XMLInputFactory.newInstance()}) would then parse
 * with Aalto. Aalto reports the prefix of a default namespace declaration as "" where StAX specifies
 * {@code null}, and Smack asserts the latter ({@code StandardExtensionElementProvider}, line 59): with
 * assertions on (surefire's default) every client that received an unknown extension element carrying an
 * {@code xmlns} (e.g. a PEP payload) lost its reader thread to an {@link AssertionError} and timed out. The
 * server keeps using Aalto; only the clients' factory changes, with Smack's own parser settings.
 */
public final class JdkStaxParserFactory implements XmlPullParserFactory {

    private final XMLInputFactory factory = XMLInputFactory.newDefaultFactory();
    private final Constructor<StaxXmlPullParser> constructor;

    private JdkStaxParserFactory() {
        // The same settings as Smack's StaxXmlPullParserFactory.
        factory.setProperty(XMLInputFactory.IS_COALESCING, true);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        try {
            constructor = StaxXmlPullParser.class.getDeclaredConstructor(XMLStreamReader.class);
            constructor.setAccessible(true);
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("Smack's StaxXmlPullParser changed: " + e, e);
        }
    }

    /** Installs the factory for every Smack connection created afterwards. */
    public static void install() {
        SmackXmlParser.setXmlPullParserFactory(new JdkStaxParserFactory());
    }

    @Override
    public XmlPullParser newXmlPullParser(Reader reader) throws XmlPullParserException {
        try {
            return constructor.newInstance(factory.createXMLStreamReader(reader));
        } catch (XMLStreamException e) {
            throw new XmlPullParserException(e);
        } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot create Smack's StAX parser: " + e, e);
        }
    }
}
