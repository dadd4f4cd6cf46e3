package dev.capstan.transport.ssh;

/**
 * Finds a fixed byte sequence (a marker) in a stream that arrives in pieces of any size, passing every other byte
 * on in order. Bytes that could be the start of the marker are held back until later bytes show whether they are;
 * a marker split across pieces is found all the same, and the marker itself is never passed on. Matching is
 * Knuth-Morris-Pratt, so every byte is looked at a bounded number of times.
 *
 * <p>Not thread-safe: each stream has its own scanner, used under its owner's lock.
 */
final class MarkerScanner {

    /** Where passed-on bytes go. */
    @FunctionalInterface
    interface Bytes {
        void write(byte[] bytes, int offset, int count);
    }

    private final byte[] marker;
    /** {@code fallback[i]}: the longest proper prefix of {@code marker[0..i]} that is also its suffix. */
    private final int[] fallback;
    /** How many bytes of the marker the stream ends with right now; those are held back. */
    private int matched;

    MarkerScanner(byte[] marker) {
        if (marker.length == 0) {
            throw new IllegalArgumentException("empty marker");
        }
        this.marker = marker.clone();
        this.fallback = new int[marker.length];
        for (int i = 1, k = 0; i < marker.length; i++) {
            while (k > 0 && marker[i] != marker[k]) {
                k = fallback[k - 1];
            }
            if (marker[i] == marker[k]) {
                k++;
            }
            fallback[i] = k;
        }
    }

    /**
     * Scans {@code bytes[offset, offset + count)}, passing to {@code out} every byte that is certainly not part of a
     * marker, up to the end of the first marker found.
     *
     * @return -1 when no marker ended in these bytes (all of them consumed: passed on or held), else how many bytes
     *         were consumed up to and including the marker's last byte; the caller goes on with the rest
     */
    int scan(byte[] bytes, int offset, int count, Bytes out) {
        int end = offset + count;
        int run = offset; // start of input bytes known not to be marker, not yet passed on
        for (int i = offset; i < end; i++) {
            byte b = bytes[i];
            if (matched == 0 && b != marker[0]) {
                continue; // stays in the run
            }
            if (matched == 0) {
                out(bytes, run, i - run, out);
            }
            while (matched > 0 && marker[matched] != b) {
                int keep = fallback[matched - 1];
                out(marker, 0, matched - keep, out); // the oldest held bytes turned out not to be marker
                matched = keep;
            }
            if (marker[matched] == b) {
                matched++;
                run = i + 1;
                if (matched == marker.length) {
                    matched = 0;
                    return i + 1 - offset;
                }
            } else {
                run = i; // matched is 0: b starts a new run
            }
        }
        if (matched == 0) {
            out(bytes, run, end - run, out);
        }
        return -1;
    }

    /** The stream ended: passes on what was held back as a possible start of the marker. */
    void flush(Bytes out) {
        out(marker, 0, matched, out);
        matched = 0;
    }

    private static void out(byte[] bytes, int offset, int count, Bytes out) {
        if (count > 0) {
            out.write(bytes, offset, count);
        }
    }
}
