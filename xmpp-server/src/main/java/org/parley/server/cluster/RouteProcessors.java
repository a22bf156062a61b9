package org.parley.server.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.hazelcast.map.EntryProcessor;

/**
 * The only ways the route map changes: entry processors, run by the partition that owns the bare JID, one
 * at a time per entry. Bind, unbind and conflicts are therefore atomic without any lock (the CP subsystem
 * is not needed, and not in the Community Edition).
 */
final class RouteProcessors {

    private RouteProcessors() {
    }

    /** Binds or updates a resource; returns the route it replaced when that was another session's (a conflict). */
    record Put(Route route) implements EntryProcessor<String, RouteSet, Route> {
        @Override
        public Route process(Map.Entry<String, RouteSet> entry) {
            RouteSet set = entry.getValue();
            Route previous = set == null ? null : set.resource(route.resource());
            entry.setValue(set == null ? new RouteSet(List.of(route)) : set.with(route));
            return previous != null && !previous.session().equals(route.session()) ? previous : null;
        }
    }

    /** Unbinds a resource if it is still this session's (a newer session may already have taken it over). */
    record Remove(String resource, String session) implements EntryProcessor<String, RouteSet, Boolean> {
        @Override
        public Boolean process(Map.Entry<String, RouteSet> entry) {
            RouteSet set = entry.getValue();
            Route current = set == null ? null : set.resource(resource);
            if (current == null || !current.session().equals(session)) {
                return false;
            }
            List<Route> rest = new ArrayList<>(set.routes());
            rest.remove(current);
            entry.setValue(rest.isEmpty() ? null : new RouteSet(rest));
            return true;
        }
    }

    /**
     * A node states what it serves for this bare JID: its routes in the entry become exactly {@code mine}
     * (re-assertion after a membership change or a split-brain heal; each node is the source of truth for
     * its own sessions).
     */
    record Assert(String member, List<Route> mine) implements EntryProcessor<String, RouteSet, Void> {
        @Override
        public Void process(Map.Entry<String, RouteSet> entry) {
            RouteSet set = entry.getValue();
            RouteSet others = set == null ? null : set.withoutMember(member);
            List<Route> next = new ArrayList<>(others == null ? List.of() : others.routes());
            next.removeIf(r -> mine.stream().anyMatch(m -> m.resource().equals(r.resource())));
            next.addAll(mine);
            entry.setValue(next.isEmpty() ? null : new RouteSet(next));
            return null;
        }
    }

    /** Drops every route of a lost member; returns what was dropped (null when nothing). */
    record DropMember(String member) implements EntryProcessor<String, RouteSet, ArrayList<Route>> {
        @Override
        public ArrayList<Route> process(Map.Entry<String, RouteSet> entry) {
            RouteSet set = entry.getValue();
            if (set == null) {
                return null;
            }
            ArrayList<Route> dropped = new ArrayList<>();
            for (Route r : set.routes()) {
                if (r.member().equals(member)) {
                    dropped.add(r);
                }
            }
            if (dropped.isEmpty()) {
                return null;
            }
            entry.setValue(set.withoutMember(member));
            return dropped;
        }
    }

    /** Forgets a room's host if it is the lost member (the room is then re-homed on its next stanza). */
    record DropHost(String member) implements EntryProcessor<String, String, Boolean> {
        @Override
        public Boolean process(Map.Entry<String, String> entry) {
            if (member.equals(entry.getValue())) {
                entry.setValue(null);
                return true;
            }
            return null;
        }
    }
}
