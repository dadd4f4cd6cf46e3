package dev.capstan.model;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** "Did you mean" suggestions for task names, by edit distance. */
public final class TaskNames {
    private TaskNames() {
    }

    private record Candidate(String name, int distance) { }

    /**
     * Up to three known names closest to {@code name}, nearest first: a small edit distance, or the same
     * last segment in another namespace ({@code restart} suggests {@code web:restart}).
     */
    public static List<String> closest(String name, Collection<String> known) {
        int limit = Math.max(2, name.length() / 3);
        return known.stream()
                .map(k -> new Candidate(k, k.endsWith(":" + name) ? 1 : distance(name, k)))
                .filter(c -> c.distance() <= limit)
                .sorted(Comparator.comparingInt(Candidate::distance).thenComparing(Candidate::name))
                .limit(3)
                .map(Candidate::name)
                .toList();
    }

    /** Levenshtein distance. */
    public static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
