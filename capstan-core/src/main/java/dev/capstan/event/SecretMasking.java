package dev.capstan.event;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces every secret value by {@code ****} in the text of every event before it reaches a formatter or
 * log, so that secrets (sudo passwords, variables set with {@code cap.secret}) never appear in output, not
 * even inside a command line.
 *
 * <p>A secret is masked in the forms it takes in output, not only as given: inside a command line quoted by
 * {@code Shell.quote} or by {@code sudo} (a {@code '} in it becomes {@code '\''}, up to three times), line by line
 * when it spans lines (a private key), since output and commands reach formatters a line at a time, and where escape
 * sequences split it. Overlapping secrets are masked together. A value shorter than {@value #SHORT} characters is
 * masked only where it stands alone, not inside words and numbers: masking every {@code e} or {@code 1} of a run
 * would destroy its output.
 */
public final class SecretMasking implements EventSink {
    public static final String MASK = "****";
    /** Values at least this long are masked wherever they occur. */
    static final int SHORT = 4;

    private final EventSink delegate;
    private final Supplier<Set<String>> secrets;
    private volatile Forms forms = Forms.NONE;

    /**
     * @param secrets an unchanging snapshot of the secret values, asked for at every event (secrets set during the run
     *                count at once) and kept by the masking while it equals the last one
     */
    public SecretMasking(EventSink delegate, Supplier<Set<String>> secrets) {
        this.delegate = delegate;
        this.secrets = secrets;
    }

    @Override
    public void emit(Event event) {
        delegate.emit(mask(event));
    }

    /** {@code text} with every secret value masked. */
    public String mask(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        return forms().mask(text);
    }

    private Forms forms() {
        Set<String> values = secrets.get();
        Forms current = forms;
        if (!current.values().equals(values)) {
            current = Forms.of(values);
            forms = current;
        }
        return current;
    }

    /** The forms of a set of secret values: masked anywhere, and short ones masked standing alone. */
    private record Forms(Set<String> values, List<String> anywhere, Pattern standalone) {
        static final Forms NONE = new Forms(Set.of(), List.of(), null);
        static Forms of(Set<String> values) {
            Set<String> long_ = new LinkedHashSet<>();
            Set<String> short_ = new LinkedHashSet<>();
            for (String value : values) {
                for (String form : formsOf(value)) {
                    (form.length() >= SHORT ? long_ : short_).add(form);
                }
            }
            // not next to a letter, digit or _, nor part of a number such as 1.25 or 10.0.0.1
            Pattern standalone = short_.isEmpty() ? null : Pattern.compile("(?<![\\p{L}\\p{N}_])(?<!\\p{N}[.,:])(?:"
                    + String.join("|", short_.stream().map(Pattern::quote).toList())
                    + ")(?![\\p{L}\\p{N}_])(?![.,:]\\p{N})");
            return new Forms(values, List.copyOf(long_), standalone);
        }

        /**
         * The value, stripped, shell-quoted up to three times ({@code sudo sh -c} around {@code bash -c} around a quoted
         * word), and each line of 4 characters or more of a value that spans lines.
         */
        private static Set<String> formsOf(String value) {
            Set<String> forms = new LinkedHashSet<>();
            forms.add(value);
            if (!value.strip().isEmpty()) {
                forms.add(value.strip()); // a password read from a file, with its newline
            }
            String quoted = value;
            for (int level = 0; level < 3 && quoted.contains("'"); level++) {
                quoted = quoted.replace("'", "'\\''");
                forms.add(quoted);
            }
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
                value.lines().map(String::strip).filter(line -> line.length() >= SHORT).forEach(forms::add);
            }
            return forms;
        }

        /**
         * {@code text} with every secret masked, escape sequences kept; a secret that escape sequences split (what
         * {@code grep --color} does to a match) is found in the text without them, which is then what is shown.
         */
        String mask(String text) {
            if (text.indexOf('\u001B') < 0) {
                return maskPlain(text);
            }
            StringBuilder segments = new StringBuilder(text.length());
            StringBuilder plain = new StringBuilder(text.length());
            Matcher escape = EscapeSequences.PATTERN.matcher(text);
            int pos = 0;
            while (escape.find()) {
                String between = text.substring(pos, escape.start());
                segments.append(maskPlain(between)).append(escape.group());
                plain.append(between);
                pos = escape.end();
            }
            segments.append(maskPlain(text.substring(pos)));
            plain.append(text, pos, text.length());
            String maskedPlain = maskPlain(plain.toString());
            boolean split = !EscapeSequences.PATTERN.matcher(segments).replaceAll("").equals(maskedPlain);
            return split ? maskedPlain : segments.toString();
        }

        /** Every occurrence of every form replaced, overlapping and adjacent ones together: no part of one shows. */
        private String maskPlain(String text) {
            List<int[]> found = new ArrayList<>();
            for (String form : anywhere) {
                for (int at = text.indexOf(form); at >= 0; at = text.indexOf(form, at + 1)) {
                    found.add(new int[] {at, at + form.length()});
                }
            }
            if (standalone != null) {
                Matcher m = standalone.matcher(text);
                while (m.find()) {
                    found.add(new int[] {m.start(), m.end()});
                }
            }
            if (found.isEmpty()) {
                return text;
            }
            found.sort(Comparator.comparingInt(range -> range[0]));
            StringBuilder out = new StringBuilder(text.length());
            int pos = 0;
            for (int i = 0; i < found.size(); ) {
                int start = found.get(i)[0];
                int end = found.get(i)[1];
                for (i++; i < found.size() && found.get(i)[0] <= end; i++) {
                    end = Math.max(end, found.get(i)[1]);
                }
                out.append(text, pos, start).append(MASK);
                pos = end;
            }
            return out.append(text, pos, text.length()).toString();
        }
    }

    private Event mask(Event event) {
        return switch (event) {
            case Event.Log e -> new Event.Log(e.at(), e.level(), e.task(), mask(e.message()));
            case Event.TaskStarted e -> new Event.TaskStarted(e.at(), e.task(), e.depth(), e.servers(), mask(e.block()));
            case Event.CommandStarted e -> new Event.CommandStarted(e.at(), e.id(), e.task(), mask(e.line()), e.servers(), e.checked(),
                    mask(e.block()));
            case Event.HostsDropped e -> new Event.HostsDropped(e.at(), e.task(), e.servers(), mask(e.reason()));
            case Event.OutputLine e -> new Event.OutputLine(e.at(), e.id(), e.server(), e.stream(), mask(e.line()));
            case Event.CommandFailed e -> new Event.CommandFailed(e.at(), e.id(), e.server(), mask(e.reason()), e.duration());
            case Event.TransferProgress e -> new Event.TransferProgress(e.at(), e.server(), mask(e.path()), e.done(), e.total());
            case Event.TaskFinished e -> new Event.TaskFinished(e.at(), e.task(), e.depth(), e.duration(), e.succeeded(), mask(e.failure()));
            case Event.RollbackStarted e -> new Event.RollbackStarted(e.at(), e.task(), mask(e.cause()), e.handlers());
            case Event.RollbackStep e -> new Event.RollbackStep(e.at(), e.task(), e.servers(), e.succeeded(), mask(e.failure()));
            case Event.BlockStarted e -> new Event.BlockStarted(e.at(), e.id(), e.block(), mask(e.name()));
            case Event.BlockFinished e -> new Event.BlockFinished(e.at(), e.id(), e.block(), mask(e.name()), e.duration(), mask(e.failure()));
            case Event.BlockRollback e -> new Event.BlockRollback(e.at(), e.id(), e.block(), mask(e.name()), e.handlers());
            default -> event;
        };
    }
}
