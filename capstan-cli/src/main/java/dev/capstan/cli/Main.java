package dev.capstan.cli;

import dev.capstan.CapstanException;
import dev.capstan.ConfigException;
import dev.capstan.ParallelizeException;
import dev.capstan.Recipe;
import dev.capstan.cli.output.ConsoleFormatter;
import dev.capstan.cli.output.LogFileSink;
import dev.capstan.cli.output.RunOutput;
import dev.capstan.cli.output.Terminal;
import dev.capstan.cli.output.Verbosity;
import dev.capstan.cli.recipe.RecipeCompiler;
import dev.capstan.cli.recipe.RecipeLoader;
import dev.capstan.engine.Engine;
import dev.capstan.engine.RunOptions;
import dev.capstan.event.EventSink;
import dev.capstan.event.SecretMasking;
import dev.capstan.model.Configuration;
import dev.capstan.model.Variables;
import dev.capstan.transport.kept.KeptConnections;
import dev.capstan.transport.ssh.PassphrasePrompt;
import dev.capstan.transport.ssh.SshSettings;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;

/**
 * The {@code capstan} command: {@code capstan [options] [stage] task...}. Exit status 0 on success, 1
 * when a task failed (and was rolled back where it could be), 2 when the call or the recipe is wrong.
 * Its options and subcommands are declared in {@link CommandLineModel}, which parses into these fields.
 */
public final class Main implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    /** The recipe {@code -f} names when it is not given. */
    static final String DEFAULT_RECIPE = "Capfile.java";

    Path file;
    boolean listTasks;
    String explain;
    List<String> lateVariables = new ArrayList<>();
    List<String> earlyVariables = new ArrayList<>();
    boolean dryRun;
    List<String> hosts = new ArrayList<>();
    List<String> roles = new ArrayList<>();
    boolean quiet;
    boolean[] verbose = new boolean[0];
    Path json;
    String log;
    boolean grouped;
    List<String> words = new ArrayList<>();

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> environment;
    private final Terminal terminal;

    Main(PrintStream out, PrintStream err, Map<String, String> environment) {
        this.out = out;
        this.err = err;
        this.environment = environment;
        this.terminal = Terminal.detect(environment, out == System.out);
    }

    public static void main(String[] args) {
        readJarIndexAhead(Arrays.stream(args).anyMatch(arg -> arg.contains("ssh_keep_connections=")));
        InterruptHandler.installForProcess(System.err);
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    /**
     * Has the class path's jar opened and its index read on another thread while the command line is parsed and the
     * recipe loaded. The start-up cache holds the classes, so nothing else opens the jar before the first service
     * lookup (the SSH transport's I/O, the platform logger), which would then read the 12,000-entry index, ~10 ms,
     * on the way to the first connection. With {@code ssh_keep_connections} on the command line, the JDK's Unix-domain
     * sockets are set up there too (~5 ms, else on the way to the first command).
     */
    private static void readJarIndexAhead(boolean keptConnections) {
        Thread.ofPlatform().daemon().name("capstan-jar-index").start(() -> {
            ClassLoader.getSystemClassLoader().getResource("META-INF/MANIFEST.MF");
            if (keptConnections) {
                KeptConnections.warmUp();
            }
        });
    }

    /** Runs the command line and returns the exit status; what {@code main} and the tests call. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> environment) {
        Main main = new Main(out, err, environment);
        CommandLine commandLine = CommandLineModel.of(main);
        commandLine.setOut(new java.io.PrintWriter(out, true));
        commandLine.setErr(new java.io.PrintWriter(err, true));
        commandLine.setParameterExceptionHandler((ex, arguments) -> {
            // one line, as for every other bad call; the usage is a --help away
            String command = ex.getCommandLine().getCommandSpec().qualifiedName();
            // words of an unquoted command (ls -ld /tmp), not a mistyped option of capstan's own (--rolse)
            String hint = command.endsWith(" exec") && ex instanceof CommandLine.UnmatchedArgumentException unmatched
                    && unmatched.getUnmatched().stream().noneMatch(word -> word.startsWith("--"))
                    ? "the command to run is one argument: quote it, as in capstan exec 'ls -ld /tmp'"
                    : command + " --help lists the options";
            err.println("capstan: " + ex.getMessage() + " (" + hint + ")");
            return USAGE;
        });
        return commandLine.execute(args);
    }

    @Override
    public Integer call() {
        return guarded(() -> {
            RecipeLoader.Loaded loaded = loadRecipe(words, !listTasks && explain == null);
            Configuration config = loaded.configuration();
            SecretMasking secrets = new SecretMasking(EventSink.NONE, config.variables()::secretValues);
            if (listTasks) { // a description may quote a secret variable, such as a repository URL with a token
                TaskListing.list(config).forEach(line -> out.println(secrets.mask(line)));
                return OK;
            }
            if (explain != null) {
                TaskListing.explain(config.require(explain, "")).forEach(line -> out.println(secrets.mask(line)));
                return OK;
            }
            if (loaded.tasks().isEmpty()) {
                throw new ConfigException("no task named: capstan -T lists the documented tasks");
            }
            RecipeLoader.checkTasks(loaded);
            return runEngine(config, engine -> engine.run(loaded.tasks()));
        });
    }

    /** Compiles and loads the recipe, applies {@code -S}, the stage and {@code -s}. */
    /**
     * For a subcommand: what only the task form of capstan takes is refused, not dropped ({@code capstan help init}
     * wrote a Capfile; {@code capstan -n demo} deployed for real).
     *
     * @return the exit status of the refusal, or null when there is nothing to refuse
     */
    Integer refuseTaskArguments(String subcommand, boolean hasDryRun) {
        if (!words.isEmpty()) {
            err.println("capstan: " + subcommand + " takes no tasks; '" + String.join(" ", words) + "' before it is not"
                    + " understood (capstan " + subcommand + " --help lists what it takes)");
            return USAGE;
        }
        if (dryRun && !hasDryRun) {
            err.println("capstan: " + subcommand + " has no dry run (-n)");
            return USAGE;
        }
        return null;
    }

    RecipeLoader.Loaded loadRecipe(List<String> words) {
        return loadRecipe(words, true);
    }

    /**
     * For {@code exec}: the recipe, or, when {@code --hosts} (or HOSTS) names the servers and there is no
     * {@code Capfile.java} here, none at all, as an ad hoc command in Ansible needs no playbook.
     */
    RecipeLoader.Loaded loadRecipeForAdHocHosts(List<String> words) {
        if (file.equals(Path.of(DEFAULT_RECIPE)) && !Files.exists(file)) {
            if (pick(hosts, "HOSTS").isEmpty()) {
                throw new ConfigException("exec: no " + DEFAULT_RECIPE + " here to take the servers from; name them"
                        + " with --hosts (capstan exec --hosts web1,web2 'uptime'), or the recipe with -f FILE");
            }
            // no project here to keep a log/ in: the debug log only where --log or -s log_file puts it
            return warned(RecipeLoader.load(cap -> cap.set("log_file", "none"), origin(),
                    assignments("-S", earlyVariables), assignments("-s", lateVariables), words, true));
        }
        return loadRecipe(words);
    }

    private RecipeLoader.Loaded loadRecipe(List<String> words, boolean stageNeeded) {
        Recipe recipe = RecipeCompiler.withDefaultCache(environment).load(file);
        return warned(RecipeLoader.load(recipe, origin(), assignments("-S", earlyVariables),
                assignments("-s", lateVariables), words, stageNeeded, TerminalQuestions::ask));
    }

    private RecipeLoader.Loaded warned(RecipeLoader.Loaded loaded) {
        loaded.warnings().forEach(warning -> err.println("capstan: warning: " + warning));
        return loaded;
    }

    private static List<Map.Entry<String, Object>> assignments(String option, List<String> raw) {
        return raw.stream().map(a -> Variables.parseAssignment(option, a)).toList();
    }

    /**
     * Runs tasks on an engine wired to the console, the summary, the log file and the JSON log, with
     * Ctrl-C handling; returns the exit status. Everything printed about the run passes the secret mask.
     */
    @SuppressWarnings("try") // the interrupt handler is held for the run, never called directly
    int runEngine(Configuration config, Consumer<Engine> work) {
        RunOptions options = new RunOptions(dryRun, pick(hosts, "HOSTS"), pick(roles, "ROLES"));
        SecretMasking secrets = new SecretMasking(EventSink.NONE, config.variables()::secretValues);
        ConsoleFormatter.Settings settings = new ConsoleFormatter.Settings(verbosity(), dryRun, grouped, terminal);
        try (RunOutput output = RunOutput.open(out, err, settings, LogFileSink.choose(log, config.variables().get("log_file")),
                json, secrets::mask, Clock.systemUTC())) {
            int status;
            String error = null;
            // key passphrases, the sudo password and cap.ask variables are asked the same way, with the status line held
            PassphrasePrompt askOnTerminal = prompt -> output.aside(() -> TerminalQuestions.askSecret(prompt));
            config.answerQuestionsWith((prompt, echo) -> output.aside(() -> TerminalQuestions.ask(prompt, echo)));
            try (Engine engine = new Engine(config, options, RemoteTransportFactory.forConfig(config, output.sink(), askOnTerminal),
                    output.sink(), askOnTerminal::passphrase);
                 InterruptHandler interrupts = InterruptHandler.install(engine, err)) {
                output.start();
                try {
                    checkSshSettings(config);
                    work.accept(engine);
                    status = OK;
                } catch (ConfigException e) { // a variable no one set, an unknown role: named where the recipe asked
                    error = engine.mask(e.getMessage() + RecipeLoader.where(e, origin()));
                    status = USAGE;
                } catch (ParallelizeException e) {
                    error = engine.mask(e.getMessage());
                    // blocks that all failed for a bad call (an unknown task, a variable no one set) are a bad call
                    status = !e.failures().isEmpty()
                            && e.failures().stream().allMatch(f -> f.cause() instanceof ConfigException) ? USAGE : FAILED;
                } catch (CapstanException e) {
                    error = engine.mask(e.getMessage());
                    status = FAILED;
                } catch (RuntimeException | Error e) {
                    // a bug in a recipe (an assert, a failed assertion): one line, its message masked, not a stack
                    // trace, with the recipe's line
                    error = engine.mask(e + RecipeLoader.where(e, origin()));
                    status = FAILED;
                }
            }
            output.finish(status, error);
            return status;
        }
    }

    /**
     * Reads the SSH settings once before any task runs, dry runs included: the transport reads them only when the first
     * command connects, and a bad value would then fail every host, inside tasks that may already have changed things.
     */
    private static void checkSshSettings(Configuration config) {
        SshSettings settings;
        try {
            settings = SshSettings.from(config.variables()::get);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        for (Path identity : settings.identityFiles()) {
            if (!Files.isRegularFile(identity)) {
                throw new ConfigException("ssh_identity: no key file " + identity);
            }
        }
        // ~/.ssh/config may well be missing; a file the recipe or -s names may not
        if (config.variables().get("ssh_config") != null && settings.configFile() != null
                && !Files.isRegularFile(settings.configFile())) {
            throw new ConfigException("ssh_config: no file " + settings.configFile() + " (none: read no ssh config)");
        }
    }

    /** The recipe's file name, as its classes' stack frames give it. */
    private String origin() {
        return file.getFileName().toString();
    }

    private List<String> pick(List<String> option, String variable) {
        if (!option.isEmpty()) {
            return option;
        }
        String value = environment.get(variable);
        return value == null || value.isBlank() ? List.of() : Arrays.stream(value.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    Verbosity verbosity() {
        if (quiet) {
            return Verbosity.QUIET;
        }
        return switch (verbose.length) {
            case 0 -> Verbosity.NORMAL;
            case 1 -> Verbosity.VERBOSE;
            default -> Verbosity.DEBUG;
        };
    }

    /** Maps errors that escape before the engine runs to one line and an exit status. */
    int guarded(Callable<Integer> body) {
        try {
            return body.call();
        } catch (ConfigException e) {
            err.println("capstan: " + e.getMessage());
            return USAGE;
        } catch (CapstanException e) {
            err.println("capstan: " + e.getMessage());
            return FAILED;
        } catch (Exception | Error e) {
            err.println("capstan: " + e);
            return FAILED;
        }
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    Map<String, String> environment() {
        return environment;
    }

    /** The version from the jar manifest, when there is one. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"capstan " + (version == null ? "development build" : version)
                    + " (Java " + Runtime.version() + ")"};
        }
    }
}
