package org.parley.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.UUID;

import org.junit.jupiter.api.Test;

/** Issue 19: a resumption id names the cluster member holding the session; anything else names none. */
class ResumptionIdTest {

    @Test
    void anIdStartsWithTheMemberItNames() {
        UUID member = UUID.randomUUID();
        String id = ClusterResumption.tag(member) + ".AAECAwQFBgcICQoLDA0O";
        assertEquals(member.toString(), ClusterResumption.memberOf(id));
    }

    @Test
    void idsOfASingleServerOrMalformedOnesNameNoMember() {
        assertNull(ClusterResumption.memberOf(null));
        assertNull(ClusterResumption.memberOf("nope"));
        assertNull(ClusterResumption.memberOf("AAECAwQFBgcICQoLDA0ODw")); // no separator
        assertNull(ClusterResumption.memberOf("!!!!!!!!!!!!!!!!!!!!!!.x")); // not base64url
        assertNull(ClusterResumption.memberOf("AAECAwQFBgcICQoLDA0O.x")); // separator too early
    }
}
