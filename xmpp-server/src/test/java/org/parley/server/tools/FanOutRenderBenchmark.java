package org.parley.server.tools;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.vysper.xml.fragment.Attribute;
import org.apache.vysper.xml.fragment.Renderer;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.addressing.EntityImpl;
import org.apache.vysper.xmpp.stanza.Stanza;
import org.apache.vysper.xmpp.stanza.StanzaBuilder;
import org.parley.server.parser.StanzaParsing;
import org.parley.server.render.AddressedRendering;
import org.parley.server.render.PrerenderedStanza;
import org.parley.server.render.StanzaSerializer;
import org.parley.server.routing.JidCache;

/**
 * The per-recipient cost of a room message's output, by hand (not a test; issue 18): what the fan-out did
 * before (per occupant a clone with its 'to', Vysper's Renderer, String → UTF-8 bytes) against what it does
 * now (one serialisation, per occupant a {@link PrerenderedStanza} and a splice), and the address parsing
 * the dispatcher path saves (Vysper's EntityImpl.parse against {@link JidCache}). Thread CPU time, so other
 * load on the machine inflates it less than wall time would.
 *
 * <pre>java -cp ... org.parley.server.tools.FanOutRenderBenchmark [occupants=20] [rounds=20000]</pre>
 */
public final class FanOutRenderBenchmark {

    public static void main(String[] args) {
        int occupants = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        Stanza reflected = StanzaParsing.parse("<message xmlns='jabber:client' from='room1@conference.localhost/n7' type='groupchat' id='m-123456'>"
                + "<body>a typical room message of some sixty characters, give or take.</body>"
                + "<stanza-id xmlns='urn:xmpp:sid:0' id='01HGW2N3K4M5P6Q7R8S9T0V1W2' by='room1@conference.localhost'/>"
                + "<origin-id xmlns='urn:xmpp:sid:0' id='3f2b6c1e-8a4d-4e5f-9a0b-1c2d3e4f5a6b'/></message>");
        List<Entity> to = new ArrayList<>();
        for (int i = 0; i < occupants; i++) {
            to.add(EntityImpl.parseUnchecked("user" + i + "@localhost/res" + i));
        }
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long sink = 0;
        for (int pass = 0; pass < 3; pass++) { // the first passes warm the JIT up
            long t0 = cpu.getCurrentThreadCpuTime();
            for (int r = 0; r < rounds; r++) {
                for (Entity e : to) {
                    Stanza copy = StanzaBuilder.createClone(reflected, true,
                            List.of(new Attribute("to", e.getFullQualifiedName()))).build();
                    sink += new Renderer(copy).getComplete().getBytes(StandardCharsets.UTF_8).length;
                }
            }
            long t1 = cpu.getCurrentThreadCpuTime();
            for (int r = 0; r < rounds; r++) {
                AddressedRendering rendering = StanzaSerializer.addressable(reflected);
                for (Entity e : to) {
                    sink += new PrerenderedStanza(reflected, rendering, e).bytes().length;
                }
            }
            long t2 = cpu.getCurrentThreadCpuTime();
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 5; k++) { // the ~5 parses of 'from' and 'to' per stanza before
                    sink += EntityImpl.parseUnchecked("user" + (r % 50) + "@localhost/res").getResource().length();
                }
            }
            long t3 = cpu.getCurrentThreadCpuTime();
            for (int r = 0; r < rounds; r++) {
                sink += JidCache.parseOrNull("user" + (r % 50) + "@localhost/res").getResource().length();
            }
            long t4 = cpu.getCurrentThreadCpuTime();
            double per = rounds * (double) occupants;
            System.out.printf("pass %d: per recipient: clone+Renderer+getBytes %.2f µs, render once+splice %.2f µs"
                            + " (%.1f×); per stanza: 5 × EntityImpl.parse %.2f µs, one JidCache look-up %.2f µs%n",
                    pass, (t1 - t0) / per / 1000, (t2 - t1) / per / 1000, (double) (t1 - t0) / (t2 - t1),
                    (t3 - t2) / (double) rounds / 1000, (t4 - t3) / (double) rounds / 1000);
        }
        System.out.println("(checksum " + sink + ")");
    }
}
