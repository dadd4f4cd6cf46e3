package dev.capstan.cli.output;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes host lists the way {@code pdsh}/{@code dshbak -c} do: hosts that differ only in one number
 * become a range, {@code web1 web2 web3 web4 web7} → {@code web[1-4,7]}. The number is the last run of
 * digits before an optional {@code :port}; zero padding is kept ({@code web[01-03]}); hosts with
 * different prefixes or suffixes stay separate entries, in order of first appearance. A host whose name holds a
 * secret stays an entry of its own, for the mask to hide: {@code db-[7-8].corp} would show what it hides.
 */
public final class HostListCompressor {
    /** For lists that hold no secret (tests, output that is not masked). */
    public static final HostListCompressor PLAIN = new HostListCompressor(UnaryOperator.identity());
    private static final Pattern PORT = Pattern.compile("^([^:]*)(:\\d+)$");
    private static final Pattern LAST_NUMBER = Pattern.compile("^(.*?)(\\d{1,18})(\\D*)$");

    private final UnaryOperator<String> mask;

    /** @param mask the run's secret mask: a host name it changes holds a secret and is never merged into a range */
    public HostListCompressor(UnaryOperator<String> mask) {
        this.mask = mask;
    }

    /** The compressed entries, e.g. {@code [db1, web[1-4]]}; duplicates are dropped. */
    public List<String> compress(List<String> hosts) {
        Map<String, List<Numbered>> groups = new LinkedHashMap<>();
        for (String host : new LinkedHashSet<>(hosts)) {
            Numbered n = mask.apply(host).equals(host) ? Numbered.parse(host) : null;
            String key = n == null ? "\0" + host : n.prefix() + "\0" + n.suffix();
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(n == null ? new Numbered(host, null, "") : n);
        }
        List<String> entries = new ArrayList<>();
        for (List<Numbered> group : groups.values()) {
            Numbered first = group.get(0);
            if (first.digits() == null) {
                entries.add(first.prefix());
            } else if (group.size() == 1) {
                entries.add(first.prefix() + first.digits() + first.suffix());
            } else {
                entries.add(first.prefix() + "[" + ranges(group) + "]" + first.suffix());
            }
        }
        return entries;
    }

    /** The compressed list as one string, entries separated by commas: {@code db1,web[1-4]}. */
    public String join(List<String> hosts) {
        return String.join(",", compress(hosts));
    }

    /**
     * The compressed list joined with {@code separator}, at most about {@code maxChars} long: when the whole list is
     * longer (a thousand hosts whose names share no numbering), it ends after the first hosts that fit, with
     * {@code "… and 990 more"}. The event log and the log file still name every host.
     */
    public String abbreviate(List<String> hosts, String separator, int maxChars, String ellipsis) {
        List<String> distinct = List.copyOf(new LinkedHashSet<>(hosts));
        String all = String.join(separator, compress(distinct));
        if (all.length() <= maxChars || distinct.size() < 2) {
            return all;
        }
        // The most leading hosts whose list still fits; the length grows with the count, so bisect.
        int fits = 1;
        int tooMany = distinct.size();
        while (tooMany - fits > 1) {
            int middle = (fits + tooMany) >>> 1;
            if (String.join(separator, compress(distinct.subList(0, middle))).length() <= maxChars) {
                fits = middle;
            } else {
                tooMany = middle;
            }
        }
        return String.join(separator, compress(distinct.subList(0, fits))) + separator + ellipsis + " and "
                + (distinct.size() - fits) + " more";
    }

    /** {@code 1-4,7} for the numbers of one group. */
    private static String ranges(List<Numbered> group) {
        List<Numbered> sorted = new ArrayList<>(group);
        sorted.sort(null);
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < sorted.size()) {
            Numbered low = sorted.get(i);
            // a zero-padded start fixes the width of the whole range; otherwise numbers are written naturally
            int width = low.digits().length() > 1 && low.digits().charAt(0) == '0' ? low.digits().length() : 0;
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1).value() == sorted.get(j).value() + 1
                    && sorted.get(j + 1).digits().equals(format(sorted.get(j + 1).value(), width))) {
                j++;
            }
            if (out.length() > 0) {
                out.append(',');
            }
            out.append(low.digits());
            if (j > i) {
                out.append('-').append(sorted.get(j).digits());
            }
            i = j + 1;
        }
        return out.toString();
    }

    private static String format(long value, int width) {
        String digits = Long.toString(value);
        return digits.length() >= width ? digits : "0".repeat(width - digits.length()) + digits;
    }

    /**
     * A host split around its number: {@code web}, {@code 01}, {@code .example.com:22}. Ordered by the number, then by
     * its width ({@code 1} before {@code 01}); a plain {@code compareTo} rather than a chain of {@code Comparator}
     * lambdas, which the JVM links on first use, a few ms of every run that prints a range.
     */
    private record Numbered(String prefix, String digits, String suffix) implements Comparable<Numbered> {
        static Numbered parse(String host) {
            String core = host;
            String port = "";
            Matcher p = PORT.matcher(host);
            if (p.matches()) {
                core = p.group(1);
                port = p.group(2);
            } else if (host.contains(":")) {
                return null; // an IPv6 address: left as it is
            }
            Matcher m = LAST_NUMBER.matcher(core);
            return m.matches() ? new Numbered(m.group(1), m.group(2), m.group(3) + port) : null;
        }

        long value() {
            return Long.parseLong(digits);
        }

        @Override
        public int compareTo(Numbered other) {
            int byValue = Long.compare(value(), other.value());
            return byValue != 0 ? byValue : Integer.compare(digits.length(), other.digits.length());
        }
    }
}
