package org.parley.conformance;

/**
 * What happened to one SINT test over one connection profile.
 *
 * @param profile    the connection profile's nickname (see {@link ConnectionProfile})
 * @param className  simple name of the SINT test class
 * @param method     the test method
 * @param status     passed; failed; flaky (failed in its class's run, passed when re-run alone); skipped (SINT:
 *                   "not possible"); excluded (never run, see sint-exclusions.txt)
 * @param reason     why it failed, was skipped or excluded; empty when passed
 * @param spec       specification and section SINT attributes the test to, "-" when none
 * @param millis     time the test took (0 when it did not run)
 */
record TestOutcome(String profile, String className, String method, Status status, String reason, String spec,
                   long millis) {

    enum Status { PASSED, FAILED, FLAKY, SKIPPED, EXCLUDED }

    /** {@code Class.method}, the name used in the lists and reports. */
    String test() {
        return className + "." + method;
    }

    /** {@code Class.method} for the default profile, {@code Class.method@profile} for any other. */
    String key() {
        return ConnectionProfile.DEFAULT_NICKNAME.equals(profile) ? test() : test() + "@" + profile;
    }
}
