package dev.capstan.testkit.fleet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a {@link SimulatedFleet} as a process, for benchmarks:
 *
 * <pre>
 * java -cp &lt;testkit classpath&gt; dev.capstan.testkit.fleet.FleetMain --hosts 1000 --latency 25ms --dir /tmp/fleet
 * </pre>
 *
 * Writes {@code hosts.txt}, {@code known_hosts}, {@code id_ed25519} and {@code ssh_config} into the directory, prints
 * one line per host when there are few (or with {@code --print-hosts}), then {@code READY <n> hosts} on stdout, and
 * runs until stdin closes (or, with {@code --wait signal}, until SIGTERM/SIGINT). While it waits, a line
 * {@code stats} on stdin prints connections, commands and heap to stderr.
 */
public final class FleetMain {

    private static final int PRINT_HOSTS_UP_TO = 20;

    static final String USAGE = String.join("\n",
            "usage: FleetMain [--hosts N] [--latency 25ms] [--dir DIR] [--base-port P] [--spread]",
            "                 [--fs memory|disk] [--max-sessions N] [--user NAME] [--print-hosts]",
            "                 [--wait stdin|signal] [--stats SECONDS]",
            "  --hosts N          simulated hosts, 1 to " + SimulatedFleet.MAX_HOSTS + " (default 1)",
            "  --latency D        one-way delay on every message, both directions: 25ms, 0.1s, 0 (default 0)",
            "  --dir DIR          where to write hosts.txt, known_hosts, id_ed25519, ssh_config (default: a temp dir)",
            "  --base-port P      host i listens on P+i (default: ephemeral ports)",
            "  --spread           host i gets its own address 127.0.1.1, 127.0.1.2, ... (with --base-port: all on P)",
            "  --fs memory|disk   host files in memory (default), or in DIR/hosts/<name> (needed for SFTP, SCP)",
            "  --max-sessions N   channels per connection before opens are refused, like OpenSSH (default 10, 0: none)",
            "  --user NAME        user in hosts.txt (default: the current user; any name logs in)",
            "  --print-hosts      print 'name user@address:port' per host even for big fleets",
            "  --wait stdin       run until stdin closes (default); 'signal': until SIGTERM/SIGINT (for '&')",
            "  --stats SECONDS    print connections, commands and heap to stderr every SECONDS");

    private FleetMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err, true));
    }

    /** A bad command line: the message and the usage are printed, exit status 2. */
    private static final class UsageError extends Exception {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }

    private record Cli(SimulatedFleet.Options options, boolean printHosts, boolean waitForSignal, int statsSeconds) {
    }

    /**
     * @param shutdownHook whether SIGTERM should close the fleet (false in tests, which close it themselves)
     * @return the exit status: 0 after a clean stop, 1 if the fleet could not start, 2 for a bad command line
     */
    static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err, boolean shutdownHook) {
        Cli cli;
        try {
            cli = parse(args);
        } catch (UsageError e) {
            if (e.getMessage().equals("help")) {
                out.println(USAGE);
                return 0;
            }
            err.println("capstan-fleet: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        long started = System.nanoTime();
        SimulatedFleet fleet;
        try {
            fleet = SimulatedFleet.start(cli.options());
        } catch (IOException | RuntimeException e) {
            err.println("capstan-fleet: cannot start: " + e.getMessage());
            return 1;
        }
        Thread hook = new Thread(fleet::close, "capstan-fleet-shutdown");
        if (shutdownHook) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
        try {
            double seconds = (System.nanoTime() - started) / 1e9;
            SimulatedFleet.Options o = cli.options();
            FleetHost first = fleet.host(0);
            FleetHost last = fleet.host(fleet.hosts().size() - 1);
            err.printf(Locale.ROOT, "capstan-fleet: %d hosts (%s:%d .. %s:%d), latency %d ms one-way, files %s,"
                    + " in %s; started in %.2f s%n", fleet.hosts().size(), first.address(), first.port(),
                    last.address(), last.port(), o.latency().toMillis(), o.storage().name().toLowerCase(Locale.ROOT),
                    fleet.dir(), seconds);
            if (cli.printHosts() || fleet.hosts().size() <= PRINT_HOSTS_UP_TO) {
                for (FleetHost host : fleet.hosts()) {
                    out.println(host.name() + " " + host.spec());
                }
            }
            out.println("READY " + fleet.hosts().size() + " hosts");
            out.flush();
            Thread stats = null;
            if (cli.statsSeconds() > 0) {
                stats = Thread.ofPlatform().daemon().name("capstan-fleet-stats").start(() -> {
                    try {
                        while (true) {
                            Thread.sleep(Duration.ofSeconds(cli.statsSeconds()));
                            err.println(stats(fleet, false));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            if (cli.waitForSignal()) {
                new CountDownLatch(1).await(); // ends with the JVM; the shutdown hook closes the fleet
            } else {
                BufferedReader lines = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.strip().equals("stats")) {
                        err.println(stats(fleet, true));
                    }
                }
            }
            if (stats != null) {
                stats.interrupt();
            }
            return 0;
        } catch (IOException e) {
            return 0; // stdin broke: same as closed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } finally {
            fleet.close();
            if (shutdownHook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // already shutting down
                }
            }
        }
    }

    @SuppressWarnings("java:S1215") // an explicit GC is the point: heap in use by live objects
    private static String stats(SimulatedFleet fleet, boolean collect) {
        if (collect) {
            System.gc();
        }
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        return String.format(Locale.ROOT, "capstan-fleet: %d connections open, %d commands run, heap used %d MB%s",
                fleet.openConnections(), fleet.commandsRun(), used >> 20, collect ? " (after GC)" : "");
    }

    private static Cli parse(String[] args) throws UsageError {
        SimulatedFleet.Options o = SimulatedFleet.Options.defaults();
        boolean printHosts = false;
        boolean waitForSignal = false;
        int stats = 0;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String value = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    value = a.substring(eq + 1);
                    a = a.substring(0, eq);
                }
                switch (a) {
                    case "--help", "-h" -> throw new UsageError("help");
                    case "--hosts" -> o = o.withHosts(Integer.parseInt(value != null ? value : next(args, ++i, a)));
                    case "--latency" -> o = o.withLatency(duration(value != null ? value : next(args, ++i, a)));
                    case "--dir" -> o = o.withDir(Path.of(value != null ? value : next(args, ++i, a)));
                    case "--base-port" -> o = o.withBasePort(Integer.parseInt(value != null ? value : next(args, ++i, a)));
                    case "--spread" -> o = o.withSpread(true);
                    case "--fs" -> {
                        String fs = value != null ? value : next(args, ++i, a);
                        o = o.withStorage(switch (fs) {
                            case "memory" -> SimulatedFleet.Storage.MEMORY;
                            case "disk" -> SimulatedFleet.Storage.DISK;
                            default -> throw new UsageError("--fs must be memory or disk: " + fs);
                        });
                    }
                    case "--max-sessions" -> o = o.withMaxSessions(Integer.parseInt(value != null ? value : next(args, ++i, a)));
                    case "--user" -> o = o.withUser(value != null ? value : next(args, ++i, a));
                    case "--print-hosts" -> printHosts = true;
                    case "--wait" -> {
                        String wait = value != null ? value : next(args, ++i, a);
                        if (!wait.equals("stdin") && !wait.equals("signal")) {
                            throw new UsageError("--wait must be stdin or signal: " + wait);
                        }
                        waitForSignal = wait.equals("signal");
                    }
                    case "--stats" -> stats = Integer.parseInt(value != null ? value : next(args, ++i, a));
                    default -> throw new UsageError("unknown option: " + args[i]);
                }
            }
        } catch (NumberFormatException e) {
            throw new UsageError("not a number: " + e.getMessage().replaceFirst("^For input string: ", ""));
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
        return new Cli(o, printHosts, waitForSignal, stats);
    }

    private static String next(String[] args, int i, String option) throws UsageError {
        if (i >= args.length) {
            throw new UsageError(option + " needs a value");
        }
        return args[i];
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|ms|s|m)?");

    /** {@code 25ms}, {@code 25} (milliseconds), {@code 0.1s}, {@code 250us}, {@code 1m}. */
    static Duration duration(String text) throws UsageError {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            throw new UsageError("not a duration: " + text + " (try 25ms)");
        }
        double value = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        double nanos = value * switch (unit) {
            case "us" -> 1e3;
            case "s" -> 1e9;
            case "m" -> 60e9;
            default -> 1e6;
        };
        return Duration.ofNanos(Math.round(nanos));
    }
}
