package dev.capstan.cli.output;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.transport.Stream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The report at the end of a run, collected from its events: the duration of every task by nesting
 * (repeated invocations of one task at one place counted together), the result per host, every failed
 * host with its reason, and the rollbacks. Printed after the run whatever the verbosity.
 *
 * <p>A non-zero exit counts against a host only when the task that ran the command failed: {@code test}
 * commands answer "no" with a non-zero exit, and events do not say which commands were tests. A host of a task on
 * which no command or transfer ran is "untouched", not "ok": a run that failed before it got there, or a
 * {@code once} command that ran elsewhere, did nothing on it.
 */
public final class Summary implements EventSink {
    private static final int COMMAND_WIDTH = 60;
    /** A host list longer than this (hundreds of hosts without a common numbering) is cut short. */
    private static final int HOST_LIST_CHARS = 160;

    private final boolean dryRun;
    private final HostListCompressor hostLists;
    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Row> rowsByKey = new HashMap<>();
    private final Set<String> hosts = new LinkedHashSet<>();
    private final Set<String> touched = new HashSet<>();
    private final Map<String, HostFailure> failedHosts = new LinkedHashMap<>();
    private final Map<String, Map<String, HostFailure>> suspects = new HashMap<>();
    private boolean hostsDropped;
    private final Map<Long, Command> commands = new HashMap<>();
    private int topLevel = -1;
    private Instant first;
    private Instant last;
    private int rollbackHandlers;
    private int rollbackFailures;

    /** All invocations of one task at one depth within one task named on the command line. */
    private static final class Row {
        final int depth;
        final String name;
        int count;
        int running;
        int failed;
        Duration total = Duration.ZERO;
        String failure;

        Row(int depth, String name) {
            this.depth = depth;
            this.name = name;
        }
    }

    /** Why a host failed: what happened, in which command (null: unknown), its last line on stderr (or null). */
    private record HostFailure(String what, String command, String stderr) {
        String describe(Glyphs glyphs) {
            return Ansi.plain(what) + (command == null ? "" : " in `" + shorten(command, glyphs) + "`")
                    + (stderr == null ? "" : ": " + stderr);
        }
    }

    /** A command still running somewhere, with the last stderr line per host for the failure reason. */
    private record Command(String task, String line, boolean checked, Set<String> pending, Map<String, String> lastStderr) { }

    /** @param hostLists writes its host lists (with the run's secret mask, which the summary's lines pass later) */
    public Summary(boolean dryRun, HostListCompressor hostLists) {
        this.dryRun = dryRun;
        this.hostLists = hostLists;
    }

    @Override
    public synchronized void emit(Event event) {
        first = first == null ? event.at() : first;
        last = event.at();
        switch (event) {
            case Event.TaskStarted e -> {
                if (e.depth() == 0) {
                    topLevel++;
                }
                Row row = rowsByKey.computeIfAbsent(key(e.depth(), e.task()), k -> {
                    Row r = new Row(e.depth(), e.task());
                    rows.add(r);
                    return r;
                });
                row.count++;
                row.running++;
                e.servers().forEach(s -> hosts.add(s.label()));
            }
            case Event.TaskFinished e -> taskFinished(e);
            case Event.CommandStarted e -> {
                commands.put(e.id(), new Command(e.task(), e.line(), e.checked(),
                        new LinkedHashSet<>(e.servers().stream().map(Server::label).toList()), new HashMap<>()));
                e.servers().stream().filter(s -> !s.equals(Server.THIS_MACHINE)).forEach(s -> { // not a server
                    hosts.add(s.label());
                    touched.add(s.label());
                });
            }
            case Event.OutputLine e -> {
                Command c = commands.get(e.id());
                String text = Ansi.plain(e.line()).strip();
                if (c != null && e.stream() == Stream.STDERR && !text.isEmpty()) {
                    c.lastStderr().put(e.server().label(), text);
                }
            }
            case Event.CommandFinished e -> ended(e.id(), e.server().label(), e.exitStatus() == 0 ? null : "exit status " + e.exitStatus(), false);
            case Event.HostsDropped e -> {
                hostsDropped = true;
                e.servers().forEach(s -> failedHosts.putIfAbsent(s.label(), dropped(e, s)));
            }
            case Event.CommandFailed e -> ended(e.id(), e.server().label(), e.reason() == null ? "failed" : e.reason().lines().findFirst().orElse(""), true);
            case Event.TransferProgress e -> touched.add(e.server().label());
            case Event.RollbackFinished e -> {
                rollbackHandlers += e.handlers();
                rollbackFailures += e.failed();
            }
            default -> { }
        }
    }

    /** Why a host was dropped: its failed command as any failed host shows it, else the reason's first line. */
    private HostFailure dropped(Event.HostsDropped e, Server server) {
        HostFailure seen = suspects.getOrDefault(e.task(), Map.of()).get(server.label());
        return seen != null ? seen : new HostFailure(e.reason().lines().findFirst().orElse("dropped"), null, null);
    }

    private String key(int depth, String task) {
        return topLevel + "/" + depth + "/" + task;
    }

    private void taskFinished(Event.TaskFinished e) {
        Row row = rowsByKey.get(key(e.depth(), e.task()));
        if (row != null) {
            row.running--;
            row.total = row.total.plus(e.duration());
            if (!e.succeeded()) {
                row.failed++;
                if (row.failure == null) {
                    row.failure = e.failure();
                }
            }
        }
        Map<String, HostFailure> suspected = suspects.remove(e.task());
        if (suspected != null && !e.succeeded()) {
            suspected.forEach(failedHosts::putIfAbsent);
        }
    }

    /**
     * @param fault the command did not end (a lost connection, a timeout): a failure even of a {@code test}, whose
     *              exit status alone is an answer, not a failure
     */
    private void ended(long id, String host, String failure, boolean fault) {
        Command c = commands.get(id);
        if (c == null) {
            if (failure != null) {
                failedHosts.putIfAbsent(host, new HostFailure(failure, null, null));
            }
            return;
        }
        if (failure != null && (c.checked() || fault)) {
            suspects.computeIfAbsent(c.task(), t -> new LinkedHashMap<>())
                    .putIfAbsent(host, new HostFailure(failure, c.line(), c.lastStderr().get(host)));
        }
        c.pending().remove(host);
        if (c.pending().isEmpty()) {
            commands.remove(id);
        }
    }

    /** Whether no task ran, so there is nothing to report. */
    public synchronized boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The summary's lines, styled with {@code palette}. */
    public synchronized List<String> render(Palette palette, Glyphs glyphs) {
        Map<String, HostFailure> failed = new LinkedHashMap<>(failedHosts);
        suspects.values().forEach(s -> s.forEach(failed::putIfAbsent)); // their task never finished
        // a task that went on without failed hosts (onError(CONTINUE)) succeeded, the run did not
        boolean ok = !hostsDropped && rows.stream().noneMatch(r -> r.depth == 0 && (r.failed > 0 || r.running > 0));
        Duration took = first == null ? Duration.ZERO : Duration.between(first, last);

        List<String> out = new ArrayList<>();
        out.add(palette.bold("Summary" + (dryRun ? " (dry run)" : "") + ": ")
                + (ok ? palette.green("ok") + " in " : palette.boldRed("FAILED") + " after ") + Units.duration(took));
        out.addAll(taskLines(palette, glyphs));

        // failures arrive in the order hosts happened to fail; they are listed in the order the run first named the hosts
        // (within a task, the order the recipe declares them)
        Map<String, Integer> position = new HashMap<>();
        hosts.forEach(h -> position.put(h, position.size()));
        List<String> failedInOrder = failed.keySet().stream()
                .sorted(Comparator.comparingInt(h -> position.getOrDefault(h, hosts.size())))
                .toList();
        List<String> good = hosts.stream().filter(h -> !failed.containsKey(h) && touched.contains(h)).toList();
        List<String> untouched = hosts.stream().filter(h -> !failed.containsKey(h) && !touched.contains(h)).toList();
        if (!hosts.isEmpty() || !failed.isEmpty()) {
            List<String> counts = new ArrayList<>();
            if (!good.isEmpty() || untouched.isEmpty()) {
                counts.add(good.size() + " ok");
            }
            if (!failed.isEmpty()) {
                counts.add(palette.boldRed(failed.size() + " failed"));
            }
            if (!untouched.isEmpty()) {
                counts.add(untouched.size() + " untouched");
            }
            out.add("  hosts: " + String.join(", ", counts));
            if (!good.isEmpty()) {
                out.add("    " + palette.green(glyphs.ok()) + " " + hostList(good, glyphs));
            }
            // hosts that failed for the same reason share a line: web[1-40] rather than forty lines
            Map<String, List<String>> byReason = new LinkedHashMap<>();
            failedInOrder.forEach(host -> byReason.computeIfAbsent(failed.get(host).describe(glyphs), r -> new ArrayList<>()).add(host));
            List<HostLine> lines = new ArrayList<>();
            byReason.forEach((reason, list) -> lines.add(new HostLine(palette.boldRed(glyphs.fail()), hostList(list, glyphs), reason)));
            if (!untouched.isEmpty()) {
                lines.add(new HostLine(glyphs.separator(), hostList(untouched, glyphs), "nothing ran"));
            }
            int width = lines.stream().mapToInt(line -> line.hosts().length()).max().orElse(0);
            lines.forEach(line -> out.add("    " + line.glyph() + " " + palette.host(line.hosts(), pad(line.hosts(), width))
                    + "  " + line.reason()));
        }
        if (rollbackHandlers > 0) {
            out.add("  " + palette.red(glyphs.rollback() + " rolled back: ") + rollbackHandlers
                    + (rollbackHandlers == 1 ? " handler ran" : " handlers ran")
                    + (rollbackFailures > 0 ? ", " + palette.boldRed(rollbackFailures + " failed") : ""));
        }
        return out;
    }

    /** Hosts that did not end ok for one reason: their glyph, their list, the reason. */
    private record HostLine(String glyph, String hosts, String reason) { }

    private String hostList(List<String> hosts, Glyphs glyphs) {
        return hostLists.abbreviate(hosts, ", ", HOST_LIST_CHARS, glyphs.ellipsis());
    }

    /** One line per row, names indented by nesting, durations aligned; a failure where it happened. */
    private List<String> taskLines(Palette palette, Glyphs glyphs) {
        // an enclosing task fails with the message of the task inside it: show each message once, innermost
        Set<String> seen = new HashSet<>();
        Map<Row, String> failureShown = new HashMap<>();
        for (int i = rows.size() - 1; i >= 0; i--) {
            Row r = rows.get(i);
            if (r.failure != null && seen.add(r.failure)) {
                failureShown.put(r, r.failure);
            }
        }
        List<String> labels = new ArrayList<>();
        List<String> durations = new ArrayList<>();
        for (Row r : rows) {
            labels.add("  ".repeat(r.depth) + r.name + (r.count > 1 ? " ×" + r.count : ""));
            durations.add(r.running > 0 ? "not finished" : Units.duration(r.total));
        }
        int labelWidth = labels.stream().mapToInt(String::length).max().orElse(0);
        int durationWidth = durations.stream().mapToInt(String::length).max().orElse(0);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            String label = labels.get(i);
            String glyph = r.failed > 0 ? palette.boldRed(glyphs.fail())
                    : r.running > 0 ? palette.yellow(glyphs.ellipsis()) : palette.green(glyphs.ok());
            int indent = r.depth * 2;
            String duration = durations.get(i);
            String failure = failureShown.get(r) == null ? null : Ansi.plain(failureShown.get(r).lines().findFirst().orElse(""));
            out.add("  " + label.substring(0, indent) + glyph + " " + label.substring(indent) + pad("", labelWidth - label.length())
                    + "  " + pad("", durationWidth - duration.length()) + duration
                    + (failure == null ? "" : "  " + palette.red(failure)));
        }
        return out;
    }

    /** The first line of {@code command}, at most {@value #COMMAND_WIDTH} characters. */
    private static String shorten(String command, Glyphs glyphs) {
        String first = command.lines().findFirst().orElse("");
        boolean more = first.length() < command.length();
        String line = Ansi.plain(first);
        if (line.length() > COMMAND_WIDTH) {
            return line.substring(0, COMMAND_WIDTH - glyphs.ellipsis().length()) + glyphs.ellipsis();
        }
        return more ? line + " " + glyphs.ellipsis() : line;
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text : text + " ".repeat(width - text.length());
    }
}
