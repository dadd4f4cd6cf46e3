package dev.capstan.event;

import java.util.ArrayList;
import java.util.Collection;
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
 * {@code Shell.quote} or by {@code sudo} (a {@code '} in it becomes {@code '\''}, once or twice), and line by line
 * when it spans lines (a private key), since output and commands reach formatters a line at a time. A value shorter
 * than {@value #SHORT} characters is masked only where it stands alone, not inside words and numbers: masking
 * every {@code e} or {@code 1} of a run would destroy its output.
 */
public final class SecretMasking implements EventSink {
    public static final String MASK = "****";
    /** Values at least this long are masked wherever they occur. */
    static final int SHORT = 4;

    private final EventSink delegate;
    private final Supplier<? extends Collection<String>> secrets;
    private volatile Forms forms = Forms.NONE;

    /** @param secrets the secret values (read at every event: secrets set during the run count at once) */
    public SecretMasking(EventSink delegate, Supplier<? extends Collection<String>> secrets) {
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
        Set<String> values = Set.copyOf(secrets.get());
        Forms current = forms;
        if (!current.values().equals(values)) {
            current = Forms.of(values);
            forms = current;
        }
        return current;
    }

    /** The forms of a set of secret values: masked anywhere (longest first), and short ones masked standing alone. */
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
            List<String> anywhere = new ArrayList<>(long_);
            anywhere.sort(Comparator.comparingInt(String::length).reversed());
            Pattern standalone = short_.isEmpty() ? null : Pattern.compile("(?<![\\p{L}\\p{N}_])(?:"
                    + String.join("|", short_.stream().sorted(Comparator.comparingInt(String::length).reversed())
                            .map(Pattern::quote).toList())
                    + ")(?![\\p{L}\\p{N}_])");
            return new Forms(values, anywhere, standalone);
        }

        /** The value, its shell-quoted forms, and each of its lines of {@value #SHORT} characters or more. */
        private static Set<String> formsOf(String value) {
            Set<String> forms = new LinkedHashSet<>();
            forms.add(value);
            String quoted = value;
            for (int level = 0; level < 2 && quoted.contains("'"); level++) {
                quoted = quoted.replace("'", "'\\''");
                forms.add(quoted);
            }
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
                value.lines().map(String::strip).filter(line -> line.length() >= SHORT).forEach(forms::add);
            }
            return forms;
        }

        String mask(String text) {
            String result = text;
            for (String form : anywhere) {
                if (result.contains(form)) {
                    result = result.replace(form, MASK);
                }
            }
            return standalone == null ? result : standalone.matcher(result).replaceAll(Matcher.quoteReplacement(MASK));
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
