package dev.capstan.testkit.fleet.sh;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/** Pathname expansion: {@code releases/2024*}, {@code .upload-*}, {@code /srv/{a,b}} not included (no braces). */
final class Glob {

    private Glob() {
    }

    /**
     * @param fs     the host's file system
     * @param cwd    the directory relative patterns start in
     * @param text   the pattern
     * @param active which characters of {@code text} may act as pattern characters
     * @return the matching paths, written as the pattern was (relative stays relative), sorted; empty if none
     */
    static List<String> expand(HostFs fs, String cwd, String text, BitSet active) {
        List<String> segments = new ArrayList<>();
        List<BitSet> masks = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= text.length(); i++) {
            if (i == text.length() || text.charAt(i) == '/') {
                if (i > start) {
                    segments.add(text.substring(start, i));
                    masks.add(active.get(start, i));
                }
                start = i + 1;
            }
        }
        boolean absolute = text.startsWith("/");
        boolean dirsOnly = text.endsWith("/");
        List<String> results = new ArrayList<>();
        walk(fs, segments, masks, 0, absolute ? "/" : cwd, absolute ? "/" : "", dirsOnly, results);
        Collections.sort(results);
        return results;
    }

    private static void walk(HostFs fs, List<String> segments, List<BitSet> masks, int i, String dir, String shown,
            boolean dirsOnly, List<String> results) {
        if (i == segments.size()) {
            results.add(dirsOnly ? shown + "/" : shown);
            return;
        }
        String segment = segments.get(i);
        BitSet mask = masks.get(i);
        boolean last = i == segments.size() - 1;
        String prefix = shown.isEmpty() || shown.endsWith("/") ? shown : shown + "/";
        if (!Patterns.hasGlob(segment, mask)) {
            String next = join(dir, segment);
            HostFs.Stat stat = last && !dirsOnly ? fs.lstat(next) : fs.stat(next);
            if (stat != null && (!(last && dirsOnly) || stat.isDirectory()) && (last || stat.isDirectory())) {
                walk(fs, segments, masks, i + 1, next, prefix + segment, dirsOnly, results);
            }
            return;
        }
        List<String> names;
        try {
            names = fs.list(dir);
        } catch (FsException e) {
            return;
        }
        Pattern re = Pattern.compile(Patterns.globToRegex(segment, mask), Pattern.DOTALL);
        for (String name : names) {
            if (name.startsWith(".") && !segment.startsWith(".")) {
                continue;
            }
            if (!re.matcher(name).matches()) {
                continue;
            }
            String next = join(dir, name);
            if (!last || dirsOnly) {
                HostFs.Stat stat = fs.stat(next);
                if (stat == null || !stat.isDirectory()) {
                    continue;
                }
            }
            walk(fs, segments, masks, i + 1, next, prefix + name, dirsOnly, results);
        }
    }

    private static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }
}
