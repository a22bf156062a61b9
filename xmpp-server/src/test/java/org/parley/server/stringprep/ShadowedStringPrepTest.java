package org.parley.server.stringprep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.List;
import java.util.Set;

import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.addressing.stringprep.NodePrep;
import org.apache.vysper.xmpp.addressing.stringprep.ResourcePrep;
import org.apache.vysper.xmpp.addressing.stringprep.StringPrepConstants;
import org.junit.jupiter.api.Test;

/**
 * xmpp-server shadows Vysper's stringprep tables with a compact copy (see StringPrepConstants in this module):
 * the copy is the one in use, its tables hold exactly Vysper 0.7's, and nodeprep and resourceprep give exactly
 * what Vysper's own classes give, for every code point of the BMP and for some longer strings.
 */
class ShadowedStringPrepTest {

    @Test
    void theCompactCopyIsTheOneInUse() {
        URL vysper = EntityImpl.class.getProtectionDomain().getCodeSource().getLocation();
        assertNotEquals(vysper, StringPrepConstants.class.getProtectionDomain().getCodeSource().getLocation());
        assertNotEquals(vysper, ResourcePrep.class.getProtectionDomain().getCodeSource().getLocation());
    }

    @Test
    void sameResultsAsVyspersOwnTables() throws Throwable {
        URL vysper = EntityImpl.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader original = new URLClassLoader(new URL[] {vysper}, ClassLoader.getPlatformClassLoader())) {
            Class<?> constants = original.loadClass(StringPrepConstants.class.getName());
            for (Field f : StringPrepConstants.class.getFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    Object theirs = constants.getField(f.getName()).get(null);
                    Object ours = f.get(null);
                    assertEquals(theirs, ours, f.getName()); // sizes, then every element of ours looked up in theirs
                    if (theirs instanceof Set<?> a && ours instanceof Set<?> b) {
                        assertTrue(b.containsAll(a), f.getName());
                    }
                }
            }
            for (String profile : List.of("NodePrep", "ResourcePrep")) {
                Class<?> ours = profile.equals("NodePrep") ? NodePrep.class : ResourcePrep.class;
                Class<?> theirs = original.loadClass(ours.getName());
                assertNotEquals(ours, theirs);
                MethodType type = MethodType.methodType(String.class, String.class);
                MethodHandle a = MethodHandles.publicLookup().findStatic(ours, "prepare", type);
                MethodHandle b = MethodHandles.publicLookup().findStatic(theirs, "prepare", type);
                for (int cp = 0; cp <= Character.MAX_VALUE; cp++) { // the tables beyond are compared above
                    String s = new String(Character.toChars(cp));
                    assertEquals(outcome(b, s), outcome(a, s), () -> profile + " U+" + Integer.toHexString(s.codePointAt(0)));
                }
                for (String s : List.of("", "Alice", "ALICE", "alice smith", "a@b", "a\"b", "\\u0022", "Straße",
                        "ΣΑΣ", "\u05D0\u05D1", "\u05D0a\u05D1", "a\u05D0", "\u0627\u0644", "x\u00ADy", "\uD800",
                        "ｆｕｌｌ", "\uD801\uDC00x", "res/ource", "😀 emoji", "\u200Bz", "tab\tx")) {
                    assertEquals(outcome(b, s), outcome(a, s), () -> profile + " \"" + s + "\"");
                }
            }
        }
    }

    private static String outcome(MethodHandle prepare, String s) throws Throwable {
        try {
            return "=" + (String) prepare.invoke(s);
        } catch (Exception e) {
            return "!" + e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }
}
