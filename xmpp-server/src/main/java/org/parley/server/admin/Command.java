package org.parley.server.admin;

import java.util.List;
import java.util.Map;

import org.apache.vysper.xml.fragment.XMLElement;
import org.apache.vysper.xmpp.addressing.Entity;
import org.apache.vysper.xmpp.stanza.StanzaErrorCondition;

/**
 * One admin command (XEP-0050 node): either it runs at once ({@link #form} returns null), or it first hands out
 * a form and runs when the form comes back submitted.
 */
interface Command {

    /** The node, e.g. {@code http://jabber.org/protocol/admin#add-user}. */
    String node();

    /** The human-readable name in disco#items. */
    String name();

    /** The form to fill, or null when the command needs no input. {@code admin} is the requester's full JID. */
    Form form(Entity admin) throws Failure;

    /** Runs with the submitted values (empty for commands without a form). */
    Result run(Entity admin, Map<String, List<String>> values) throws Failure;

    /** What a completed command answers: a result form and/or a note (XEP-0050 §3.4 {@code <note type='info'/>}). */
    record Result(XMLElement form, String note) {
        static Result note(String text) {
            return new Result(null, text);
        }

        static Result form(Form form) {
            return new Result(form.build(), null);
        }
    }

    /**
     * A refusal with the error XEP-0050 §4.6 names: {@code bad-request} + {@code <bad-payload/>} for a form with
     * missing or invalid fields, {@code item-not-found} for a user or room that does not exist, {@code conflict} …
     */
    final class Failure extends Exception {
        final StanzaErrorCondition condition;
        /** The XEP-0050 application condition ({@code bad-payload}, …) or null. */
        final String commandCondition;

        Failure(StanzaErrorCondition condition, String commandCondition, String message) {
            super(message, null, false, false);
            this.condition = condition;
            this.commandCondition = commandCondition;
        }

        static Failure badPayload(String message) {
            return new Failure(StanzaErrorCondition.BAD_REQUEST, "bad-payload", message);
        }

        static Failure notFound(String message) {
            return new Failure(StanzaErrorCondition.ITEM_NOT_FOUND, null, message);
        }
    }

    /** The single value of {@code var}, trimmed, or a bad-payload failure naming the field. */
    static String single(Map<String, List<String>> values, String var, String label) throws Failure {
        String v = optional(values, var);
        if (v == null || v.isEmpty()) {
            throw Failure.badPayload(label + " is required");
        }
        return v;
    }

    /** The single value of {@code var}, trimmed, or null. */
    static String optional(Map<String, List<String>> values, String var) {
        List<String> v = values.get(var);
        return v == null || v.isEmpty() ? null : v.get(0).strip();
    }

    /**
     * Characters a text an admin sends to users (announcement, message of the day, room message) may have: the
     * stanza limit alone would let one command push 256 KiB to every session online.
     */
    int MAX_TEXT_CHARS = 10_000;

    /**
     * The lines of a text-multi field joined and trimmed, or bad-payload when it is empty or longer than
     * {@link #MAX_TEXT_CHARS}.
     */
    static String text(Map<String, List<String>> values, String var, String label, String whenEmpty) throws Failure {
        String text = String.join("\n", values.getOrDefault(var, List.of())).strip();
        if (text.isEmpty()) {
            throw Failure.badPayload(whenEmpty);
        }
        if (text.length() > MAX_TEXT_CHARS) {
            throw Failure.badPayload(label + " is longer than " + MAX_TEXT_CHARS + " characters");
        }
        return text;
    }

    /** XEP-0004 booleans: "1"/"true" and "0"/"false". */
    static boolean bool(Map<String, List<String>> values, String var, String label) throws Failure {
        String v = single(values, var, label);
        return switch (v) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw Failure.badPayload(label + " must be true or false");
        };
    }
}
