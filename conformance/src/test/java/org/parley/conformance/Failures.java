package org.parley.conformance;

import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.ExecutionException;

/** One-line descriptions of test failures for the reports. */
final class Failures {

    private static final int MAX_MESSAGE = 300;

    private Failures() {
    }

    /** "Type: message (caused by Type: message) at TestClass.method:line". */
    static String describe(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t == null) {
            return "unknown failure";
        }
        StringBuilder sb = new StringBuilder(t.getClass().getSimpleName());
        String message = message(t);
        if (!message.equals(t.getClass().getSimpleName())) {
            sb.append(": ").append(message);
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != t) {
            sb.append(" (caused by ").append(root.getClass().getSimpleName()).append(": ").append(message(root)).append(')');
        }
        String where = testFrame(t);
        if (where != null) {
            sb.append(" at ").append(where);
        }
        return sb.toString();
    }

    /** The exception's message on one line, shortened; its type's name when it has none. */
    static String message(Throwable t) {
        String message = t.getMessage();
        if (message == null || message.isBlank()) {
            return t.getClass().getSimpleName();
        }
        message = message.replaceAll("\\s+", " ").trim();
        return message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) + "…" : message;
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof InvocationTargetException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The innermost frame in a SINT test class, where the test tripped. */
    private static String testFrame(Throwable t) {
        for (StackTraceElement frame : t.getStackTrace()) {
            String cls = frame.getClassName();
            if (cls.startsWith("org.igniterealtime.smack.inttest.") && !cls.contains("IntegrationTest")) {
                continue; // the framework itself
            }
            if ((cls.startsWith("org.jivesoftware.") || cls.startsWith("org.igniterealtime."))
                    && (cls.endsWith("Test") || cls.contains("IntegrationTest") || cls.contains("Test$"))) {
                return cls.substring(cls.lastIndexOf('.') + 1) + "." + frame.getMethodName() + ":" + frame.getLineNumber();
            }
        }
        return null;
    }
}
