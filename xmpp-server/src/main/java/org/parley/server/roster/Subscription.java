package org.parley.server.roster;

/** The 'subscription' attribute of a roster item (RFC 6121 §2.1.2.5) as two directions. */
record Subscription(boolean to, boolean from) {

    static Subscription of(String value) {
        return switch (value) {
            case "to" -> new Subscription(true, false);
            case "from" -> new Subscription(false, true);
            case "both" -> new Subscription(true, true);
            default -> new Subscription(false, false);
        };
    }

    Subscription withTo(boolean value) {
        return new Subscription(value, from);
    }

    Subscription withFrom(boolean value) {
        return new Subscription(to, value);
    }

    String value() {
        if (to && from) {
            return "both";
        }
        return to ? "to" : from ? "from" : "none";
    }
}
