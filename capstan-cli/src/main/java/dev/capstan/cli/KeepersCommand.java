package dev.capstan.cli;

import dev.capstan.transport.kept.Keepers;
import dev.capstan.transport.kept.Keepers.Keeper;
import dev.capstan.transport.ssh.HeldConnections;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code capstan keepers [--stop]}: the background processes that keep connections between runs
 * ({@code ssh_keep_connections}), what each holds, and a way to end them now rather than once idle, as
 * {@code ssh -O check} and {@code ssh -O stop} do for OpenSSH's master connections.
 */
final class KeepersCommand implements Callable<Integer> {
    /** How long a keeper told to stop, with no call under way, may take to close its connections and exit. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

    private final Main main;
    boolean stop;

    KeepersCommand(Main main) {
        this.main = main;
    }

    @Override
    public Integer call() {
        Integer refused = main.refuseTaskArguments("keepers", false);
        if (refused != null) {
            return refused;
        }
        Path directory = Keepers.directory();
        List<Keeper> keepers;
        try {
            keepers = stop ? Keepers.stop(directory) : Keepers.list(directory);
        } catch (IOException e) {
            main.err().println("capstan: keepers: " + e.getMessage());
            return Main.FAILED;
        }
        if (keepers.isEmpty()) {
            main.out().println("no kept connections: no keeper listens in " + directory);
            return Main.OK;
        }
        int status = Main.OK;
        // every keeper was told before the first is waited for: one deadline for them all
        long deadline = System.nanoTime() + EXIT_WAIT.toNanos();
        for (Keeper keeper : keepers) {
            switch (keeper) {
                case Keeper.Answered answered -> {
                    if (stop && !stopped(answered, deadline)) {
                        status = Main.FAILED;
                    } else if (!stop) {
                        main.out().println("keeper " + answered.pid() + ": " + state(answered));
                    }
                    answered.held().forEach(held -> main.out().println("  " + describe(held)));
                }
                case Keeper.Unreadable unreadable -> {
                    main.out().println("keeper at " + unreadable.socket() + ": " + unreadable.reason()
                            + (stop ? "; not stopped: it ends once idle" : ""));
                    if (stop) {
                        status = Main.FAILED;
                    }
                }
            }
        }
        return status;
    }

    /** Says how the stop went: at once when no call was under way, else once those calls have ended. */
    private boolean stopped(Keeper.Answered keeper, long deadline) {
        String hosts = count(keeper.held().size(), "host");
        if (keeper.running() > 0) {
            main.out().println("stopping keeper " + keeper.pid() + " (" + hosts + "): it ends once its "
                    + count(keeper.running(), "call") + " under way " + (keeper.running() == 1 ? "has" : "have")
                    + " ended");
            return true;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(keeper.pid());
        try {
            if (process.isPresent()) {
                process.get().onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            main.out().println("stopped keeper " + keeper.pid() + " (" + hosts + ")");
            return true;
        } catch (TimeoutException e) {
            main.out().println("keeper " + keeper.pid() + " was told to stop but has not ended within "
                    + EXIT_WAIT.toSeconds() + " s");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true; // onExit never fails: the process is gone
        }
    }

    private static String state(Keeper.Answered keeper) {
        String what = count(keeper.held().size(), "host") + ", ";
        if (keeper.running() > 0) {
            what += count(keeper.running(), "call") + " under way";
        } else {
            what += "idle " + seconds(keeper.idle()) + " of " + seconds(keeper.keep());
        }
        return what;
    }

    private static String describe(HeldConnections held) {
        return held.target() + ": " + count(held.connections(), "connection")
                + (held.idleShells() > 0 ? ", " + count(held.idleShells(), "idle shell") : "");
    }

    private static String seconds(Duration duration) {
        return duration.toSeconds() + " s";
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
