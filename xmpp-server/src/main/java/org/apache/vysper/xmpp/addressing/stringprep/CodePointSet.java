package org.apache.vysper.xmpp.addressing.stringprep;

import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * PARLEY (not part of Vysper): a set of one-code-point strings stored as sorted code point ranges, with any other
 * string kept aside; what the shadowed {@link StringPrepConstants}, {@link StringPrep} and {@link ResourcePrep}
 * use instead of a {@code HashSet} with one {@code String} per code point (the RFC 3454 tables cover about
 * 400 000 code points). {@link #contains} is a binary search. Mutable until {@link #freeze()}; a frozen set may be
 * read from any thread once safely published (the sets are built in class and instance initialisers).
 */
final class CodePointSet extends AbstractSet<String> {

    private int[] ranges = new int[16]; // start0, end0, start1, end1, ... (inclusive)
    private int used;
    private boolean sorted = true;
    private final Set<String> others = new HashSet<>(); // strings that are not exactly one code point
    private boolean frozen;

    void addRange(int start, int end) {
        if (frozen) {
            throw new UnsupportedOperationException("frozen");
        }
        if (used == ranges.length) {
            ranges = Arrays.copyOf(ranges, used * 2);
        }
        ranges[used++] = start;
        ranges[used++] = end;
        sorted = false;
    }

    /** Sorts and merges the ranges, and forbids changes from now on; returns this set. */
    CodePointSet freeze() {
        compact();
        frozen = true;
        return this;
    }

    private void compact() {
        if (sorted) {
            return;
        }
        int n = used / 2;
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            packed[i] = ((long) ranges[2 * i] << 32) | ranges[2 * i + 1];
        }
        Arrays.sort(packed);
        int[] merged = new int[Math.max(2, used)];
        int m = 0;
        for (long p : packed) {
            int start = (int) (p >>> 32);
            int end = (int) p;
            if (m > 0 && start <= merged[m - 1] + 1) {
                merged[m - 1] = Math.max(merged[m - 1], end);
            } else {
                merged[m++] = start;
                merged[m++] = end;
            }
        }
        ranges = merged;
        used = m;
        sorted = true;
    }

    private static int singleCodePoint(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        int cp = s.codePointAt(0);
        return Character.charCount(cp) == s.length() ? cp : -1;
    }

    private boolean containsCodePoint(int cp) {
        int lo = 0;
        int hi = used / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cp < ranges[2 * mid]) {
                hi = mid - 1;
            } else if (cp > ranges[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean contains(Object o) {
        if (!(o instanceof String s)) {
            return false;
        }
        int cp = singleCodePoint(s);
        if (cp < 0) {
            return others.contains(s);
        }
        if (!frozen) {
            compact();
        }
        return containsCodePoint(cp);
    }

    @Override
    public boolean add(String s) {
        if (contains(s)) {
            return false;
        }
        int cp = singleCodePoint(s);
        if (cp < 0) {
            if (frozen) {
                throw new UnsupportedOperationException("frozen");
            }
            return others.add(s);
        }
        addRange(cp, cp);
        return true;
    }

    @Override
    public boolean addAll(Collection<? extends String> c) {
        if (c instanceof CodePointSet other) {
            other.compact();
            for (int i = 0; i < other.used; i += 2) {
                addRange(other.ranges[i], other.ranges[i + 1]);
            }
            boolean changed = other.used > 0;
            for (String s : other.others) {
                changed |= add(s);
            }
            return changed;
        }
        return super.addAll(c);
    }

    @Override
    public int size() {
        compact();
        long n = others.size();
        for (int i = 0; i < used; i += 2) {
            n += ranges[i + 1] - ranges[i] + 1L;
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    @Override
    public Iterator<String> iterator() {
        compact();
        int[] r = Arrays.copyOf(ranges, used);
        Iterator<String> rest = Set.copyOf(others).iterator();
        return new Iterator<>() {
            private int range;
            private int next = r.length > 0 ? r[0] : 0;

            @Override
            public boolean hasNext() {
                return range < r.length || rest.hasNext();
            }

            @Override
            public String next() {
                if (range < r.length) {
                    String s = new String(Character.toChars(next));
                    if (next == r[range + 1]) {
                        range += 2;
                        if (range < r.length) {
                            next = r[range];
                        }
                    } else {
                        next++;
                    }
                    return s;
                }
                if (!rest.hasNext()) {
                    throw new NoSuchElementException();
                }
                return rest.next();
            }
        };
    }
}
