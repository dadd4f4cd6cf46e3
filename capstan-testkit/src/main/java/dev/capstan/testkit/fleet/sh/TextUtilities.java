package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Text filters: grep, sort, uniq, head, tail, wc, cut, tr, basename, dirname, seq, xargs. */
final class TextUtilities {

    private TextUtilities() {
    }

    static void register(Map<String, Utility> map) {
        map.put("basename", TextUtilities::basename);
        map.put("dirname", TextUtilities::dirname);
        map.put("grep", TextUtilities::grep);
        map.put("egrep", p -> grep(withFlag(p, "-E")));
        map.put("fgrep", p -> grep(withFlag(p, "-F")));
        map.put("sort", TextUtilities::sort);
        map.put("uniq", TextUtilities::uniq);
        map.put("head", p -> headTail(p, true));
        map.put("tail", p -> headTail(p, false));
        map.put("wc", TextUtilities::wc);
        map.put("cut", TextUtilities::cut);
        map.put("tr", TextUtilities::tr);
        map.put("seq", TextUtilities::seq);
        map.put("xargs", TextUtilities::xargs);
        map.put("sed", Sed::run);
        map.put("awk", Awk::run);
    }

    private static Proc withFlag(Proc p, String flag) {
        List<String> args = new ArrayList<>(p.args);
        args.set(0, "grep");
        args.add(1, flag);
        return new Proc(p.sh, p.ctx, args);
    }

    private static int basename(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("az", "s", Map.of("multiple", 'a', "suffix=", 's'));
        if (o.operands.isEmpty()) {
            throw new Proc.Usage("missing operand", 1);
        }
        boolean multiple = o.has('a') || o.has('s');
        List<String> names = multiple ? o.operands : o.operands.subList(0, 1);
        String suffix = o.value('s') != null ? o.value('s') : !multiple && o.operands.size() > 1 ? o.operands.get(1) : null;
        for (String name : names) {
            String base = FileUtilities.basename(name);
            if (suffix != null && base.endsWith(suffix) && !base.equals(suffix)) {
                base = base.substring(0, base.length() - suffix.length());
            }
            p.println(base);
        }
        return 0;
    }

    private static int dirname(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("z", "");
        if (o.operands.isEmpty()) {
            throw new Proc.Usage("missing operand", 1);
        }
        for (String name : o.operands) {
            p.println(dirnameOf(name));
        }
        return 0;
    }

    static String dirnameOf(String name) {
        String s = name;
        while (s.length() > 1 && s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        int slash = s.lastIndexOf('/');
        if (slash < 0) {
            return ".";
        }
        s = s.substring(0, slash);
        while (s.length() > 1 && s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.isEmpty() ? "/" : s;
    }

    private static int grep(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("EFGivcqlLnhHsxwoyraI", "ef", Map.ofEntries(Map.entry("extended-regexp", 'E'),
                Map.entry("fixed-strings", 'F'), Map.entry("ignore-case", 'i'), Map.entry("invert-match", 'v'),
                Map.entry("count", 'c'), Map.entry("quiet", 'q'), Map.entry("silent", 'q'),
                Map.entry("files-with-matches", 'l'), Map.entry("files-without-match", 'L'),
                Map.entry("line-number", 'n'), Map.entry("no-filename", 'h'), Map.entry("with-filename", 'H'),
                Map.entry("no-messages", 's'), Map.entry("line-regexp", 'x'), Map.entry("word-regexp", 'w'),
                Map.entry("only-matching", 'o'), Map.entry("regexp=", 'e'), Map.entry("file=", 'f'),
                Map.entry("recursive", 'r')));
        List<String> patterns = new ArrayList<>();
        List<String> files = new ArrayList<>(o.operands);
        if (o.has('e') || o.has('f')) {
            o.all('e').forEach(e -> Proc.splitLines(e.isEmpty() ? "\n" : e, patterns));
            for (String f : o.all('f')) {
                Proc.splitLines(new String(p.readAll(f), StandardCharsets.UTF_8), patterns);
            }
        } else {
            if (files.isEmpty()) {
                throw new Proc.Usage("no pattern given\nUsage: grep [OPTION]... PATTERNS [FILE]...", 2);
            }
            String first = files.remove(0);
            Proc.splitLines(first.isEmpty() ? "\n" : first, patterns);
            if (first.isEmpty()) {
                patterns.clear();
                patterns.add("");
            }
        }
        List<Pattern> compiled = new ArrayList<>();
        try {
            for (String pattern : patterns) {
                String re = o.has('F') ? Pattern.quote(pattern)
                        : Patterns.posixRegex(pattern, o.has('E'), false).pattern();
                if (o.has('x')) {
                    re = "^(?:" + re + ")$";
                } else if (o.has('w')) {
                    re = "(?<![\\w])(?:" + re + ")(?![\\w])";
                }
                compiled.add(Pattern.compile(re, o.has('i') || o.has('y') ? Pattern.CASE_INSENSITIVE : 0));
            }
        } catch (PatternSyntaxException e) {
            p.error("Invalid regular expression");
            return 2;
        }
        if (files.isEmpty()) {
            files.add("-");
        }
        boolean names = (files.size() > 1 || o.has('r')) && !o.has('h') || o.has('H');
        boolean any = false;
        boolean error = false;
        for (String file : files) {
            byte[] data;
            try {
                HostFs.Stat s = file.equals("-") ? null : p.fs().stat(p.abs(file));
                if (s != null && s.isDirectory()) {
                    if (!o.has('s')) {
                        p.error(file + ": Is a directory");
                    }
                    error = true;
                    continue;
                }
                data = p.readAll(file);
            } catch (FsException e) {
                if (!o.has('s')) {
                    p.error(file + ": " + e.getMessage());
                }
                error = true;
                continue;
            }
            String shown = file.equals("-") ? "(standard input)" : file;
            List<String> lines = new ArrayList<>();
            Proc.splitLines(new String(data, StandardCharsets.UTF_8), lines);
            int count = 0;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                boolean matched = false;
                for (Pattern re : compiled) {
                    if (re.matcher(line).find()) {
                        matched = true;
                        break;
                    }
                }
                if (matched == o.has('v')) {
                    continue;
                }
                count++;
                any = true;
                if (o.has('q')) {
                    return 0;
                }
                if (o.has('l') || o.has('L') || o.has('c')) {
                    continue;
                }
                String prefix = (names ? shown + ":" : "") + (o.has('n') ? (i + 1) + ":" : "");
                if (o.has('o') && !o.has('v')) {
                    for (Pattern re : compiled) {
                        Matcher m = re.matcher(line);
                        while (m.find()) {
                            if (!m.group().isEmpty()) {
                                p.println(prefix + m.group());
                            }
                        }
                    }
                } else {
                    p.println(prefix + line);
                }
            }
            if (o.has('c')) {
                p.println((names ? shown + ":" : "") + count);
            } else if (o.has('l') && count > 0) {
                p.println(shown);
            } else if (o.has('L') && count == 0) {
                p.println(shown);
            }
        }
        if (error && !(o.has('q') && any)) {
            return 2;
        }
        return any ? 0 : 1;
    }

    private static int sort(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("rnufbdhVsgcCM", "kto", Map.of("reverse", 'r', "numeric-sort", 'n', "unique", 'u',
                "ignore-case", 'f', "key=", 'k', "field-separator=", 't', "output=", 'o', "version-sort", 'V',
                "stable", 's'));
        List<String> lines = p.lines(o.operands);
        String separator = o.value('t');
        List<int[]> keys = new ArrayList<>();
        for (String k : o.all('k')) {
            String spec = k.replaceAll("[a-zA-Z]", "");
            String[] parts = spec.split(",");
            int start = Integer.parseInt(parts[0].split("\\.")[0]);
            int end = parts.length > 1 ? Integer.parseInt(parts[1].split("\\.")[0]) : Integer.MAX_VALUE;
            keys.add(new int[] {start, end});
        }
        boolean numeric = o.has('n') || o.has('g') || o.has('h') || o.all('k').stream().anyMatch(k -> k.contains("n"));
        Comparator<String> byKey = (a, b) -> {
            String ka = key(a, keys, separator);
            String kb = key(b, keys, separator);
            int c;
            if (numeric) {
                c = numberPrefix(ka).compareTo(numberPrefix(kb));
            } else if (o.has('V')) {
                c = versionCompare(ka, kb);
            } else if (o.has('f')) {
                c = ka.compareToIgnoreCase(kb);
            } else {
                c = ka.compareTo(kb);
            }
            return c;
        };
        Comparator<String> order = o.has('s') || o.has('u') ? byKey : byKey.thenComparing(Comparator.naturalOrder());
        if (o.has('r')) {
            order = order.reversed();
        }
        if (o.has('c') || o.has('C')) {
            for (int i = 1; i < lines.size(); i++) {
                if (order.compare(lines.get(i - 1), lines.get(i)) > 0) {
                    if (o.has('c')) {
                        p.error("-:" + (i + 1) + ": disorder: " + lines.get(i));
                    }
                    return 1;
                }
            }
            return 0;
        }
        lines.sort(order);
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            if (o.has('u') && !out.isEmpty() && byKey.compare(out.get(out.size() - 1), line) == 0) {
                continue;
            }
            out.add(line);
        }
        StringBuilder sb = new StringBuilder();
        out.forEach(l -> sb.append(l).append('\n'));
        if (o.value('o') != null) {
            try (OutputStream file = p.fs().openWrite(p.abs(o.value('o')), HostFs.WriteMode.TRUNCATE)) {
                file.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            }
        } else {
            p.print(sb.toString());
        }
        return 0;
    }

    private static String key(String line, List<int[]> keys, String separator) {
        if (keys.isEmpty()) {
            return line;
        }
        List<String> fields = fields(line, separator);
        StringBuilder sb = new StringBuilder();
        for (int[] k : keys) {
            for (int f = k[0]; f <= Math.min(k[1], fields.size()); f++) {
                if (f > k[0]) {
                    sb.append(separator == null ? " " : separator);
                }
                sb.append(fields.get(f - 1));
            }
            sb.append('\0');
        }
        return sb.toString();
    }

    private static List<String> fields(String line, String separator) {
        List<String> fields = new ArrayList<>();
        if (separator != null && !separator.isEmpty()) {
            for (String f : line.split(Pattern.quote(separator), -1)) {
                fields.add(f);
            }
        } else {
            for (String f : line.strip().split("\\s+")) {
                fields.add(f);
            }
        }
        return fields;
    }

    private static BigDecimal numberPrefix(String s) {
        Matcher m = Pattern.compile("^\\s*([-+]?\\d*\\.?\\d+(?:[eE][-+]?\\d+)?)").matcher(s);
        return m.find() ? new BigDecimal(m.group(1)) : BigDecimal.ZERO;
    }

    private static int versionCompare(String a, String b) {
        Matcher ma = Pattern.compile("\\d+|\\D+").matcher(a);
        Matcher mb = Pattern.compile("\\d+|\\D+").matcher(b);
        while (ma.find()) {
            if (!mb.find()) {
                return 1;
            }
            String x = ma.group();
            String y = mb.group();
            int c = Character.isDigit(x.charAt(0)) && Character.isDigit(y.charAt(0))
                    ? new java.math.BigInteger(x).compareTo(new java.math.BigInteger(y)) : x.compareTo(y);
            if (c != 0) {
                return c;
            }
        }
        return mb.find() ? -1 : 0;
    }

    private static int uniq(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("cdui", "fs", Map.of("count", 'c', "repeated", 'd', "unique", 'u',
                "ignore-case", 'i'));
        List<String> lines = p.lines(o.operands.isEmpty() ? List.of() : o.operands.subList(0, 1));
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < lines.size()) {
            int j = i + 1;
            while (j < lines.size() && (o.has('i') ? lines.get(j).equalsIgnoreCase(lines.get(i))
                    : lines.get(j).equals(lines.get(i)))) {
                j++;
            }
            int count = j - i;
            if (!(o.has('d') && count == 1) && !(o.has('u') && count > 1)) {
                sb.append(o.has('c') ? String.format(Locale.ROOT, "%7d %s", count, lines.get(i)) : lines.get(i))
                        .append('\n');
            }
            i = j;
        }
        p.print(sb.toString());
        return 0;
    }

    private static int headTail(Proc p, boolean head) throws IOException, Proc.Usage {
        // legacy forms: head -5, tail -5, tail +5
        List<String> args = new ArrayList<>(p.args);
        if (args.size() > 1 && args.get(1).matches("[-+]\\d+")) {
            String n = args.remove(1);
            args.add(1, "-n");
            args.add(2, n.startsWith("-") ? n.substring(1) : n);
        }
        Proc q = new Proc(p.sh, p.ctx, args);
        Proc.Opts o = q.options("qvfFz", "nc", Map.of("lines=", 'n', "bytes=", 'c', "quiet", 'q', "silent", 'q',
                "verbose", 'v', "follow", 'f'));
        List<String> files = o.operands.isEmpty() ? List.of("-") : o.operands;
        int status = 0;
        boolean headers = (files.size() > 1 && !o.has('q')) || o.has('v');
        boolean first = true;
        for (String file : files) {
            byte[] data;
            try {
                data = p.readAll(file);
            } catch (FsException e) {
                status = p.fail("cannot open " + FileUtilities.q(file) + " for reading: " + e.getMessage());
                continue;
            }
            if (headers) {
                p.println((first ? "" : "\n") + "==> " + (file.equals("-") ? "standard input" : file) + " <==");
            }
            first = false;
            if (o.value('c') != null) {
                String spec = o.value('c');
                long n = parseCount(spec);
                int len = data.length;
                int from;
                int to;
                if (head) {
                    from = 0;
                    to = spec.startsWith("-") ? (int) Math.max(0, len - n) : (int) Math.min(len, n);
                } else {
                    from = spec.startsWith("+") ? (int) Math.min(len, Math.max(0, n - 1)) : (int) Math.max(0, len - n);
                    to = len;
                }
                p.out.write(data, from, to - from);
                continue;
            }
            String spec = o.value('n') == null ? "10" : o.value('n');
            long n = parseCount(spec);
            String text = new String(data, StandardCharsets.UTF_8);
            List<String> lines = new ArrayList<>();
            Proc.splitLines(text, lines);
            boolean trailingNewline = text.endsWith("\n");
            int from;
            int to;
            if (head) {
                from = 0;
                to = spec.startsWith("-") ? (int) Math.max(0, lines.size() - n) : (int) Math.min(lines.size(), n);
            } else {
                from = spec.startsWith("+") ? (int) Math.min(lines.size(), Math.max(0, n - 1))
                        : (int) Math.max(0, lines.size() - n);
                to = lines.size();
            }
            StringBuilder sb = new StringBuilder();
            for (int i = from; i < to; i++) {
                sb.append(lines.get(i));
                if (i < lines.size() - 1 || trailingNewline) {
                    sb.append('\n');
                }
            }
            p.print(sb.toString());
        }
        return status;
    }

    private static long parseCount(String spec) throws Proc.Usage {
        String digits = spec.replaceFirst("^[-+]", "");
        long multiplier = 1;
        if (digits.matches("\\d+[kKMG]")) {
            multiplier = switch (Character.toUpperCase(digits.charAt(digits.length() - 1))) {
                case 'K' -> 1024;
                case 'M' -> 1024 * 1024;
                default -> 1024L * 1024 * 1024;
            };
            digits = digits.substring(0, digits.length() - 1);
        }
        try {
            return Long.parseLong(digits) * multiplier;
        } catch (NumberFormatException e) {
            throw new Proc.Usage("invalid number of lines: " + FileUtilities.q(spec), 1);
        }
    }

    private static int wc(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("lwcmL", "", Map.of("lines", 'l', "words", 'w', "bytes", 'c', "chars", 'm'));
        boolean all = !o.has('l') && !o.has('w') && !o.has('c') && !o.has('m') && !o.has('L');
        List<String> files = o.operands.isEmpty() ? List.of("-") : o.operands;
        List<long[]> counts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        long[] total = new long[5];
        int status = 0;
        for (String file : files) {
            byte[] data;
            try {
                data = p.readAll(file);
            } catch (FsException e) {
                status = p.fail(file + ": " + e.getMessage());
                continue;
            }
            String text = new String(data, StandardCharsets.UTF_8);
            long lines = text.chars().filter(c -> c == '\n').count();
            long words = text.isBlank() ? 0 : text.strip().split("\\s+").length;
            long longest = text.lines().mapToLong(String::length).max().orElse(0);
            long[] c = {lines, words, text.length(), data.length, longest};
            for (int i = 0; i < 5; i++) {
                total[i] = i == 4 ? Math.max(total[i], c[i]) : total[i] + c[i];
            }
            counts.add(c);
            names.add(file.equals("-") ? "" : file);
        }
        if (counts.size() > 1) {
            counts.add(total);
            names.add("total");
        }
        List<Integer> columns = new ArrayList<>();
        if (all || o.has('l')) {
            columns.add(0);
        }
        if (all || o.has('w')) {
            columns.add(1);
        }
        if (o.has('m')) {
            columns.add(2);
        }
        if (all || o.has('c')) {
            columns.add(3);
        }
        if (o.has('L')) {
            columns.add(4);
        }
        boolean single = columns.size() == 1 && counts.size() == 1;
        int width = single ? 0 : files.contains("-") ? 7 : Long.toString(counts.stream()
                .mapToLong(c -> c[3]).max().orElse(0)).length();
        for (int i = 0; i < counts.size(); i++) {
            StringBuilder sb = new StringBuilder();
            for (int col : columns) {
                if (!sb.isEmpty()) {
                    sb.append(' ');
                }
                sb.append(String.format(Locale.ROOT, "%" + (width == 0 ? "" : width) + "d", counts.get(i)[col]));
            }
            if (!names.get(i).isEmpty()) {
                sb.append(' ').append(names.get(i));
            }
            p.println(sb.toString());
        }
        return status;
    }

    private static int cut(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("sn", "dfcb", Map.of("delimiter=", 'd', "fields=", 'f', "characters=", 'c',
                "bytes=", 'b', "only-delimited", 's'));
        String list = o.value('f') != null ? o.value('f') : o.value('c') != null ? o.value('c') : o.value('b');
        if (list == null) {
            throw new Proc.Usage("you must specify a list of bytes, characters, or fields", 1);
        }
        List<int[]> ranges = new ArrayList<>();
        for (String part : list.split(",")) {
            String[] ends = part.split("-", -1);
            try {
                if (ends.length == 1) {
                    int n = Integer.parseInt(ends[0]);
                    ranges.add(new int[] {n, n});
                } else {
                    ranges.add(new int[] {ends[0].isEmpty() ? 1 : Integer.parseInt(ends[0]),
                        ends[1].isEmpty() ? Integer.MAX_VALUE : Integer.parseInt(ends[1])});
                }
            } catch (NumberFormatException e) {
                throw new Proc.Usage("invalid field value " + FileUtilities.q(part), 1);
            }
        }
        String delimiter = o.value('d') == null ? "\t" : o.value('d');
        if (delimiter.length() != 1) {
            throw new Proc.Usage("the delimiter must be a single character", 1);
        }
        StringBuilder sb = new StringBuilder();
        for (String line : p.lines(o.operands)) {
            if (o.value('f') != null) {
                if (!line.contains(delimiter)) {
                    if (!o.has('s')) {
                        sb.append(line).append('\n');
                    }
                    continue;
                }
                String[] fields = line.split(Pattern.quote(delimiter), -1);
                List<String> picked = new ArrayList<>();
                for (int i = 1; i <= fields.length; i++) {
                    if (selected(ranges, i)) {
                        picked.add(fields[i - 1]);
                    }
                }
                sb.append(String.join(delimiter, picked)).append('\n');
            } else {
                StringBuilder chars = new StringBuilder();
                for (int i = 1; i <= line.length(); i++) {
                    if (selected(ranges, i)) {
                        chars.append(line.charAt(i - 1));
                    }
                }
                sb.append(chars).append('\n');
            }
        }
        p.print(sb.toString());
        return 0;
    }

    private static boolean selected(List<int[]> ranges, int i) {
        for (int[] r : ranges) {
            if (i >= r[0] && i <= r[1]) {
                return true;
            }
        }
        return false;
    }

    private static int tr(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("dscC", "", Map.of("delete", 'd', "squeeze-repeats", 's', "complement", 'c'));
        if (o.operands.isEmpty()) {
            throw new Proc.Usage("missing operand", 1);
        }
        String set1 = expandSet(o.operands.get(0));
        String set2 = o.operands.size() > 1 ? expandSet(o.operands.get(1)) : null;
        boolean complement = o.has('c') || o.has('C');
        String text = new String(p.in.readAllBytes(), StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder();
        char last = 0;
        boolean haveLast = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean in1 = set1.indexOf(c) >= 0 != complement;
            if (o.has('d') && in1) {
                continue;
            }
            char mapped = c;
            if (!o.has('d') && set2 != null && !set2.isEmpty() && in1) {
                int idx = complement ? set2.length() - 1 : set1.indexOf(c);
                mapped = set2.charAt(Math.min(idx, set2.length() - 1));
            }
            String squeezeSet = o.has('d') || set2 == null ? set1 : set2;
            if (o.has('s') && haveLast && mapped == last && squeezeSet.indexOf(mapped) >= 0) {
                continue;
            }
            sb.append(mapped);
            last = mapped;
            haveLast = true;
        }
        p.print(sb.toString());
        return 0;
    }

    private static String expandSet(String spec) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < spec.length()) {
            if (spec.startsWith("[:", i)) {
                int end = spec.indexOf(":]", i);
                if (end > 0) {
                    String cls = spec.substring(i + 2, end);
                    for (char c = 0; c < 128; c++) {
                        boolean in = switch (cls) {
                            case "lower" -> Character.isLowerCase(c);
                            case "upper" -> Character.isUpperCase(c);
                            case "digit" -> Character.isDigit(c);
                            case "alpha" -> Character.isLetter(c);
                            case "alnum" -> Character.isLetterOrDigit(c);
                            case "space" -> Character.isWhitespace(c);
                            case "blank" -> c == ' ' || c == '\t';
                            case "punct" -> c > 32 && c < 127 && !Character.isLetterOrDigit(c);
                            case "xdigit" -> Character.digit(c, 16) >= 0;
                            default -> false;
                        };
                        if (in) {
                            sb.append(c);
                        }
                    }
                    i = end + 2;
                    continue;
                }
            }
            char c = spec.charAt(i);
            int consumed = 1;
            if (c == '\\' && i + 1 < spec.length()) {
                StringBuilder one = new StringBuilder();
                Printf.escapes(spec.substring(i, i + 2), one, false);
                c = one.charAt(0);
                consumed = 2;
            }
            if (i + consumed + 1 < spec.length() && spec.charAt(i + consumed) == '-') {
                char end = spec.charAt(i + consumed + 1);
                for (char x = c; x <= end; x++) {
                    sb.append(x);
                }
                i += consumed + 2;
                continue;
            }
            sb.append(c);
            i += consumed;
        }
        return sb.toString();
    }

    private static int seq(Proc p) throws IOException, Proc.Usage {
        List<String> args = new ArrayList<>(p.args.subList(1, p.args.size()));
        String separator = "\n";
        boolean width = false;
        while (!args.isEmpty() && args.get(0).startsWith("-") && !args.get(0).matches("-\\d.*")) {
            String a = args.remove(0);
            if (a.equals("-s")) {
                separator = args.remove(0);
            } else if (a.startsWith("-s")) {
                separator = a.substring(2);
            } else if (a.equals("-w")) {
                width = true;
            }
        }
        if (args.isEmpty() || args.size() > 3) {
            throw new Proc.Usage("missing operand", 1);
        }
        BigDecimal first = args.size() > 1 ? new BigDecimal(args.get(0)) : BigDecimal.ONE;
        BigDecimal step = args.size() > 2 ? new BigDecimal(args.get(1)) : BigDecimal.ONE;
        BigDecimal last = new BigDecimal(args.get(args.size() - 1));
        if (step.signum() == 0) {
            throw new Proc.Usage("invalid Zero increment value: '0'", 1);
        }
        int digits = last.toBigInteger().toString().length();
        StringBuilder sb = new StringBuilder();
        for (BigDecimal v = first; step.signum() > 0 ? v.compareTo(last) <= 0 : v.compareTo(last) >= 0;
                v = v.add(step)) {
            if (!sb.isEmpty()) {
                sb.append(separator);
            }
            String text = v.toPlainString();
            sb.append(width ? "0".repeat(Math.max(0, digits - text.length())) + text : text);
        }
        if (!sb.isEmpty()) {
            p.println(sb.toString());
        }
        return 0;
    }

    private static int xargs(Proc p) throws IOException, Proc.Usage, InterruptedException {
        List<String> args = p.args;
        int i = 1;
        int maxArgs = Integer.MAX_VALUE;
        String replace = null;
        boolean noRunIfEmpty = false;
        boolean nul = false;
        while (i < args.size() && args.get(i).startsWith("-")) {
            String a = args.get(i++);
            if (a.equals("-n")) {
                maxArgs = Integer.parseInt(args.get(i++));
            } else if (a.startsWith("-n")) {
                maxArgs = Integer.parseInt(a.substring(2));
            } else if (a.equals("-I")) {
                replace = args.get(i++);
            } else if (a.equals("-r") || a.equals("--no-run-if-empty")) {
                noRunIfEmpty = true;
            } else if (a.equals("-0") || a.equals("--null")) {
                nul = true;
            } else if (a.equals("--")) {
                break;
            }
        }
        List<String> command = new ArrayList<>(args.subList(i, args.size()));
        if (command.isEmpty()) {
            command.add("echo");
        }
        String input = new String(p.in.readAllBytes(), StandardCharsets.UTF_8);
        List<String> items = new ArrayList<>();
        if (replace != null) {
            Proc.splitLines(input, items);
            items.removeIf(String::isBlank);
        } else if (nul) {
            for (String s : input.split("\0")) {
                if (!s.isEmpty()) {
                    items.add(s);
                }
            }
        } else {
            for (String s : input.strip().split("\\s+")) {
                if (!s.isEmpty()) {
                    items.add(s.replaceAll("^['\"]|['\"]$", ""));
                }
            }
        }
        if (items.isEmpty() && noRunIfEmpty) {
            return 0;
        }
        int status = 0;
        if (replace != null) {
            for (String item : items) {
                List<String> argv = new ArrayList<>();
                for (String c : command) {
                    argv.add(c.replace(replace, item));
                }
                status = Math.max(status, run(p, argv));
            }
            return status;
        }
        int from = 0;
        do {
            int to = (int) Math.min(items.size(), (long) from + maxArgs);
            List<String> argv = new ArrayList<>(command);
            argv.addAll(items.subList(from, to));
            status = Math.max(status, run(p, argv));
            from = to;
        } while (from < items.size());
        return status;
    }

    private static int run(Proc p, List<String> argv) {
        int status = p.sh.invoke(argv, p.ctx.with(InputStream.nullInputStream(), p.out, p.err), true);
        return status == 0 ? 0 : status == 127 ? 127 : 123;
    }
}
