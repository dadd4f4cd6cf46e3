package dev.capstan.cli.output;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.transport.Stream;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Renders events for a person: task headers indented by nesting, a line naming the hosts when a command
 * starts, every output line behind its padded host name in the host's colour (stderr marked {@code !}),
 * exit status and duration per host when a command ends, and unmissable rollbacks. On an interactive
 * terminal a status line at the bottom shows what is running; in {@code --grouped} mode identical output
 * of many hosts is printed once per command, under a compressed host list.
 *
 * <p>Events arrive from many threads: each is rendered and written whole under this object's lock, so
 * lines never mix.
 */
public final class ConsoleFormatter implements EventSink, AutoCloseable {

    /**
     * How the console renders.
     *
     * @param verbosity how much to show
     * @param dryRun    commands are shown as "would run" and their (pretend) ends are not shown
     * @param grouped   identical output of many hosts once per command ({@code --grouped})
     * @param terminal  where the output goes: status line and colours only on a terminal
     */
    public record Settings(Verbosity verbosity, boolean dryRun, boolean grouped, Terminal terminal) { }

    /** A command being shown: where its lines go and the hosts it still runs on. */
    private static final class Running {
        final long id;
        final String line;
        final List<Server> servers;
        final int depth;
        final int width;
        /** False for {@code test}: a non-zero exit is an answer, not a failure. */
        final boolean checked;
        final Set<String> pending = new LinkedHashSet<>();
        final List<Outcome> outcomes = new ArrayList<>();

        Running(long id, String line, List<Server> servers, int depth, boolean checked) {
            this.id = id;
            this.line = line;
            this.servers = servers;
            this.depth = depth;
            this.checked = checked;
            this.width = servers.stream().mapToInt(s -> s.label().length()).max().orElse(0);
            servers.forEach(s -> pending.add(s.label()));
        }
    }

    /** How a command ended on one host, and from which level on that is shown. */
    private record Outcome(String host, boolean ok, String text, Duration duration, Verbosity level) { }

    private final Screen screen;
    private final Settings settings;
    private final Verbosity verbosity;
    private final Palette palette;
    private final Glyphs glyphs;
    private final Clock clock;
    private final HostListCompressor hostLists;
    private final StatusLine status;
    private final GroupedOutput grouped;
    private final Map<Long, Running> commands = new HashMap<>();
    private final Map<String, Integer> depths = new HashMap<>();
    private final Map<Long, Integer> parallelizeDepths = new HashMap<>();
    private long lastHeader = -1;
    private StatusTicker ticker;
    private boolean closed;

    /** Plain text for {@code out}: no status line, no colours (for output that is not the run's console). */
    public ConsoleFormatter(PrintStream out, Verbosity verbosity, boolean dryRun) {
        this(out, new Settings(verbosity, dryRun, false, Terminal.PLAIN));
    }

    public ConsoleFormatter(PrintStream out, Settings settings) {
        this(out, settings, Clock.systemUTC(), UnaryOperator.identity());
    }

    /**
     * @param clock for the status line's elapsed time and for when a command counts as long
     * @param mask  applied to every line written: secrets must not reach the screen by any path
     */
    public ConsoleFormatter(PrintStream out, Settings settings, Clock clock, UnaryOperator<String> mask) {
        this.screen = new Screen(out, mask);
        this.hostLists = new HostListCompressor(mask);
        this.status = new StatusLine(hostLists);
        this.grouped = new GroupedOutput(hostLists);
        this.settings = settings;
        this.verbosity = settings.verbosity();
        this.palette = new Palette(settings.terminal().colour());
        this.glyphs = Glyphs.forCharset(out.charset());
        this.clock = clock;
    }

    /** Starts redrawing the status line about every 100 ms; does nothing unless the terminal is interactive. */
    public synchronized void start() {
        if (settings.terminal().interactive() && ticker == null && !closed) {
            ticker = StatusTicker.start(this::tick);
        }
    }

    @Override
    public synchronized void emit(Event event) {
        status.update(event);
        boolean hadStatus = screen.showsStatus();
        render(event);
        if (hadStatus && !screen.showsStatus()) {
            drawStatus(); // lines were printed above it: put it back at the bottom
        }
        screen.flush();
    }

    /** Redraws the status line (on a terminal only): what the ticker calls. */
    public synchronized void tick() {
        drawStatus();
        screen.flush();
    }

    /**
     * Stops the status line and erases it, and prints what {@code --grouped} still holds of commands that
     * never ended; afterwards the screen is free for the summary and error messages.
     */
    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.close();
        }
        closed = true;
        screen.clearStatus();
        for (Running r : List.copyOf(commands.values())) {
            if (settings.grouped()) {
                flushGrouped(r);
            }
        }
        commands.clear();
        screen.flush();
    }

    /**
     * Runs {@code work}, which writes elsewhere (standard error) or asks on the terminal (a password),
     * with the status line erased and no other line or redraw until it returns, so that nothing shares
     * its line; the next tick draws the status line again.
     */
    public synchronized <T> T aside(Supplier<T> work) {
        screen.clearStatus();
        screen.flush();
        return work.get();
    }

    private void drawStatus() {
        if (closed || !settings.terminal().interactive()) {
            return;
        }
        String text = status.render(clock.instant(), glyphs);
        int room = settings.terminal().width() - 1; // a full-width line would wrap on some terminals
        if (text != null && text.length() > room) {
            text = text.substring(0, room - glyphs.ellipsis().length()) + glyphs.ellipsis();
        }
        screen.status(text == null ? null : palette.dim(text));
    }

    private void line(Verbosity level, String text) {
        if (verbosity.shows(level)) {
            screen.line(text);
        }
    }

    private void render(Event event) {
        switch (event) {
            case Event.TaskStarted e -> {
                depths.put(e.task(), e.depth());
                line(Verbosity.NORMAL, indent(e.depth()) + palette.bold(glyphs.task() + " " + e.task())
                        + (e.servers().isEmpty() ? "" : "  " + palette.dim("(" + hostList(e.servers()) + ")")));
            }
            case Event.TaskFinished e -> {
                if (e.succeeded()) {
                    line(Verbosity.VERBOSE, indent(e.depth()) + palette.green(glyphs.ok()) + " " + e.task() + "  "
                            + palette.dim(Units.duration(e.duration())));
                } else {
                    line(Verbosity.QUIET, indent(e.depth()) + palette.boldRed(glyphs.fail() + " " + e.task() + " failed")
                            + " after " + Units.duration(e.duration()) + (e.failure() == null ? "" : ": " + firstLine(e.failure())));
                }
            }
            case Event.CommandStarted e -> commandStarted(e);
            case Event.OutputLine e -> output(e);
            case Event.CommandFinished e -> ended(e.id(), e.server(), finished(e));
            case Event.HostsDropped e -> line(Verbosity.QUIET, indent(depths.getOrDefault(e.task(), 0) + 1)
                    + palette.yellow("! continuing without " + hostList(e.servers())) + ": " + firstLine(e.reason()));
            case Event.CommandFailed e -> ended(e.id(), e.server(),
                    new Outcome(e.server().label(), false, firstLine(e.reason()), e.duration(), Verbosity.QUIET));
            case Event.Log e -> log(e);
            case Event.RollbackStarted e -> line(Verbosity.QUIET, palette.banner(glyphs.rollback() + " ROLLBACK")
                    + palette.boldRed(" of " + e.task()) + " (" + handlers(e.handlers()) + "): " + firstLine(e.cause()));
            case Event.RollbackStep e -> line(Verbosity.QUIET, e.succeeded()
                    ? palette.red(glyphs.rollback()) + "   rolled back " + e.task()
                        + (e.servers().isEmpty() ? "" : " on " + hostList(e.servers()))
                    : palette.boldRed(glyphs.rollback() + "   rollback handler of " + e.task() + " FAILED: ") + firstLine(e.failure()));
            case Event.RollbackFinished e -> line(Verbosity.QUIET, palette.red(glyphs.rollback()) + " rollback of " + e.task()
                    + " finished: " + handlers(e.handlers()) + (e.failed() > 0 ? palette.boldRed(", " + e.failed() + " failed") : ""));
            case Event.BlockRollback e -> line(Verbosity.QUIET, palette.red(glyphs.rollback()) + " rolling back " + e.name()
                    + " (" + handlers(e.handlers()) + ")");
            case Event.ParallelizeStarted e -> parallelizeDepths.put(e.id(), depths.getOrDefault(e.task(), 0));
            case Event.ChunkStarted e -> { } // the engine logs each batch
            case Event.BlockStarted e -> line(Verbosity.VERBOSE, indent(blockDepth(e.id())) + glyphs.block() + " " + e.name() + " started");
            case Event.BlockFinished e -> {
                if (e.failure() == null) {
                    line(Verbosity.VERBOSE, indent(blockDepth(e.id())) + palette.green(glyphs.ok()) + " " + e.name() + "  "
                            + palette.dim(Units.duration(e.duration())));
                } else {
                    line(Verbosity.QUIET, indent(blockDepth(e.id())) + palette.boldRed(glyphs.fail() + " " + e.name() + " failed")
                            + " after " + Units.duration(e.duration()) + ": " + firstLine(e.failure()));
                }
            }
            case Event.ParallelizeFinished e -> {
                int depth = blockDepth(e.id());
                parallelizeDepths.remove(e.id());
                if (e.failed() > 0 || e.notStarted() > 0) {
                    line(Verbosity.NORMAL, indent(depth) + "parallelize: " + e.succeeded() + " succeeded, "
                            + palette.boldRed(e.failed() + " failed") + ", " + e.notStarted() + " not started");
                } else {
                    line(Verbosity.VERBOSE, indent(depth) + "parallelize: " + e.succeeded() + " succeeded");
                }
            }
            case Event.TransferProgress e -> {
                if (e.total() > 0 && e.done() == e.total()) {
                    line(Verbosity.VERBOSE, palette.host(e.server().label(), e.server().label()) + " " + glyphs.transfer() + " "
                            + e.path() + "  " + palette.dim(Units.bytes(e.total())));
                }
            }
            case Event.ConnectionOpened e -> line(Verbosity.DEBUG, palette.dim("connected to " + e.server().label()
                    + " in " + Units.duration(e.took())));
        }
    }

    /** Exit 0 is shown at -v; a non-zero exit is a failure, unless the command only asked (test). */
    private Outcome finished(Event.CommandFinished e) {
        String host = e.server().label();
        if (e.exitStatus() == 0) {
            return new Outcome(host, true, "exit 0", e.duration(), Verbosity.VERBOSE);
        }
        Running r = commands.get(e.id());
        if (r != null && !r.checked) {
            return new Outcome(host, true, "no (exit " + e.exitStatus() + ")", e.duration(), Verbosity.VERBOSE);
        }
        return new Outcome(host, false, "exit " + e.exitStatus(), e.duration(), Verbosity.NORMAL);
    }

    private void commandStarted(Event.CommandStarted e) {
        Running r = new Running(e.id(), e.line(), e.servers(), depths.getOrDefault(e.task(), 0), e.checked());
        if (!r.pending.isEmpty()) {
            commands.put(e.id(), r); // forgotten when it ended on every host
        }
        if (verbosity.shows(Verbosity.NORMAL)) {
            header(r);
        }
    }

    /** {@code $ command  [hosts]}; the lines of a multi-line command follow, indented. */
    private void header(Running r) {
        String[] lines = Arrays.stream(r.line.split("\n", -1)).map(Ansi::plain).toArray(String[]::new);
        screen.line(indent(r.depth + 1) + (settings.dryRun() ? "would run " : "$ ") + palette.bold(shorten(lines[0]))
                + "  " + palette.dim("[" + hostList(r.servers) + "]"));
        for (int i = 1; i < lines.length; i++) {
            screen.line(indent(r.depth + 1) + "  " + palette.bold(lines[i]));
        }
        lastHeader = r.id;
    }

    /** Generated scripts can be long: at the default level their start is enough; -v and -n show them whole. */
    private String shorten(String line) {
        if (line.length() <= LONG_COMMAND || settings.dryRun() || verbosity.shows(Verbosity.VERBOSE)) {
            return line;
        }
        return line.substring(0, LONG_COMMAND) + glyphs.ellipsis() + " (" + line.length() + " chars; -v shows all)";
    }

    private static final int LONG_COMMAND = 120;

    private void output(Event.OutputLine e) {
        if (settings.grouped()) {
            grouped.add(e);
            return;
        }
        Running r = commands.get(e.id());
        String host = e.server().label();
        line(Verbosity.NORMAL, indent(r == null ? 1 : r.depth + 2)
                + prefixed(host, r == null ? host.length() : r.width, e.stream(), Ansi.plain(e.line())));
    }

    /** {@code web1 │ text}, or {@code web1 ! text} for standard error. */
    private String prefixed(String host, int width, Stream stream, String text) {
        String marker = stream == Stream.STDERR ? palette.red(glyphs.stderr()) : palette.dim(glyphs.bar());
        return palette.host(host, pad(host, width)) + " " + marker + " " + text;
    }

    private void ended(long id, Server server, Outcome outcome) {
        Running r = commands.get(id);
        if (r == null) {
            show(null, outcome, outcome.host().length());
            return;
        }
        r.pending.remove(server.label());
        if (settings.grouped()) {
            r.outcomes.add(outcome);
        } else {
            show(r, outcome, r.width);
        }
        if (r.pending.isEmpty()) {
            commands.remove(id);
            if (settings.grouped()) {
                flushGrouped(r);
            }
        }
    }

    private void show(Running r, Outcome o, int width) {
        if (settings.dryRun() && o.ok()) {
            return; // nothing ran: a pretend exit 0 says nothing
        }
        line(o.level(), indent(r == null ? 1 : r.depth + 2) + palette.host(o.host(), pad(o.host(), width)) + " "
                + (o.ok() ? palette.green(glyphs.ok()) : palette.boldRed(glyphs.fail())) + " "
                + (o.ok() ? o.text() : palette.red(o.text())) + "  " + palette.dim("(" + Units.duration(o.duration()) + ")"));
    }

    /** {@code --grouped}: the command's output once per set of hosts with identical output, then its ends. */
    private void flushGrouped(Running r) {
        List<GroupedOutput.Group> groups = grouped.drain(r.id, r.servers);
        Map<String, List<Outcome>> ends = new LinkedHashMap<>();
        for (Outcome o : r.outcomes) {
            if (verbosity.shows(o.level()) && !(settings.dryRun() && o.ok())) {
                ends.computeIfAbsent((o.ok() ? "+" : "-") + o.text(), k -> new ArrayList<>()).add(o);
            }
        }
        boolean showOutput = verbosity.shows(Verbosity.NORMAL) && !groups.isEmpty();
        if (!showOutput && ends.isEmpty()) {
            return;
        }
        List<Outcome> merged = new ArrayList<>();
        ends.values().forEach(same -> merged.add(new Outcome(
                hostLists.join(same.stream().map(Outcome::host).toList()), same.get(0).ok(), same.get(0).text(),
                same.stream().map(Outcome::duration).max(Duration::compareTo).orElse(Duration.ZERO), same.get(0).level())));
        int width = 0;
        for (GroupedOutput.Group g : showOutput ? groups : List.<GroupedOutput.Group>of()) {
            width = Math.max(width, g.hosts().length());
        }
        for (Outcome o : merged) {
            width = Math.max(width, o.host().length());
        }
        if (lastHeader != r.id && verbosity.shows(Verbosity.NORMAL)) {
            header(r); // other lines came between: say again which command this is
        }
        if (showOutput) {
            for (GroupedOutput.Group g : groups) {
                for (GroupedOutput.Line l : g.lines()) {
                    screen.line(indent(r.depth + 2) + prefixed(g.hosts(), width, l.stream(), l.text()));
                }
            }
        }
        for (Outcome o : merged) {
            show(r, o, width);
        }
    }

    private void log(Event.Log e) {
        int depth = e.task() == null ? 0 : depths.getOrDefault(e.task(), 0) + 1;
        String[] lines = e.message() == null ? new String[] {""}
                : Arrays.stream(e.message().split("\n", -1)).map(Ansi::plain).toArray(String[]::new);
        Verbosity level = switch (e.level()) {
            case ERROR, WARN -> Verbosity.QUIET;
            case INFO -> Verbosity.NORMAL;
            // debug notes of no task come from the transport (SSH): -vv, like trace
            case DEBUG -> e.task() == null ? Verbosity.DEBUG : Verbosity.VERBOSE;
            case TRACE -> Verbosity.DEBUG;
        };
        String first = switch (e.level()) {
            case ERROR -> palette.boldRed(glyphs.fail() + " error:") + " " + lines[0];
            case WARN -> palette.yellow("! warning:") + " " + lines[0];
            case INFO -> lines[0];
            case DEBUG -> palette.dim("debug: " + lines[0]);
            case TRACE -> palette.dim("trace: " + lines[0]);
        };
        line(level, indent(depth) + first);
        for (int i = 1; i < lines.length; i++) {
            boolean faint = e.level() == Event.Level.DEBUG || e.level() == Event.Level.TRACE;
            line(level, indent(depth) + "  " + (faint ? palette.dim(lines[i]) : lines[i]));
        }
    }

    private int blockDepth(long parallelizeId) {
        return parallelizeDepths.getOrDefault(parallelizeId, 0) + 1;
    }

    private static String indent(int depth) {
        return "  ".repeat(Math.max(0, depth));
    }

    private String hostList(List<Server> servers) {
        return String.join(", ", hostLists.compress(servers.stream().map(Server::label).toList()));
    }

    private static String handlers(int n) {
        return n + (n == 1 ? " handler" : " handlers");
    }

    private static String pad(String label, int width) {
        return label.length() >= width ? label : label + " ".repeat(width - label.length());
    }

    /** The first line of an event's text (a failure, a reason), as plain text. */
    private static String firstLine(String text) {
        if (text == null) {
            return "";
        }
        int nl = text.indexOf('\n');
        return Ansi.plain(nl < 0 ? text : text.substring(0, nl));
    }
}
