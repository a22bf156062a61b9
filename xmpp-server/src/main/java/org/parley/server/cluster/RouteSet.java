package org.parley.server.cluster;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The bound resources of one bare JID, cluster-wide: the value of the route map. Immutable, so the near
 * cache may hand the same instance to every reader.
 */
public final class RouteSet implements Serializable {

    private static final long serialVersionUID = 1L;

    private final List<Route> routes;

    RouteSet(List<Route> routes) {
        this.routes = List.copyOf(routes);
    }

    public List<Route> routes() {
        return routes;
    }

    /** The route of a resource, or null. */
    Route resource(String resource) {
        for (Route r : routes) {
            if (r.resource().equals(resource)) {
                return r;
            }
        }
        return null;
    }

    /** Whether every route is on {@code member} (a loop: this runs for every stanza routed in a cluster). */
    boolean onlyOn(String member) {
        for (Route r : routes) {
            if (!r.member().equals(member)) {
                return false;
            }
        }
        return true;
    }

    /** This set with {@code route} replacing whatever held its resource. */
    RouteSet with(Route route) {
        List<Route> next = new ArrayList<>(routes.size() + 1);
        for (Route r : routes) {
            if (!r.resource().equals(route.resource())) {
                next.add(r);
            }
        }
        next.add(route);
        return new RouteSet(next);
    }

    /** This set without the routes {@code member} serves; null when nothing is left. */
    RouteSet withoutMember(String member) {
        List<Route> next = new ArrayList<>(routes.size());
        for (Route r : routes) {
            if (!r.member().equals(member)) {
                next.add(r);
            }
        }
        return next.isEmpty() ? null : new RouteSet(next);
    }

    @Override
    public String toString() {
        return routes.toString();
    }
}
