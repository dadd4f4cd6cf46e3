package dev.capstan.cli;

import dev.capstan.CapstanException;
import dev.capstan.ConfigException;
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
import dev.capstan.transport.ssh.PassphrasePrompt;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * The {@code capstan} command: {@code capstan [options] [stage] task...}. Exit status 0 on success, 1
 * when a task failed (and was rolled back where it could be), 2 when the call or the recipe is wrong.
 */
@Command(name = "capstan", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        usageHelpAutoWidth = true,
        subcommands = {ExecCommand.class, InitCommand.class, DemoCommand.class},
        description = "Runs tasks from a Java recipe (Capfile.java) on many servers at once over SSH.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:a task failed (and was rolled back where it could be)",
            "2:the call or the recipe is wrong (unknown option or task, compile error)"})
public final class Main implements Callable<Integer> {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", defaultValue = "Capfile.java", scope = ScopeType.INHERIT,
            description = "The recipe (default: ${DEFAULT-VALUE}).")
    Path file;

    @Option(names = {"-T", "--tasks"}, description = "List the documented tasks.")
    boolean listTasks;

    @Option(names = {"-e", "--explain"}, paramLabel = "TASK", description = "Explain one task.")
    String explain;

    @Option(names = "-s", paramLabel = "NAME=VALUE", scope = ScopeType.INHERIT,
            description = "Set a variable after the recipe loads (true/false and integers are typed).")
    List<String> lateVariables = new ArrayList<>();

    @Option(names = "-S", paramLabel = "NAME=VALUE", scope = ScopeType.INHERIT,
            description = "Set a variable before the recipe loads.")
    List<String> earlyVariables = new ArrayList<>();

    @Option(names = {"-n", "--dry-run"}, scope = ScopeType.INHERIT, description = "Show the commands; run nothing.")
    boolean dryRun;

    @Option(names = "--hosts", paramLabel = "H1,H2", split = ",", scope = ScopeType.INHERIT,
            description = "Run on these hosts only (also HOSTS=...).")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--roles", paramLabel = "R1,R2", split = ",", scope = ScopeType.INHERIT,
            description = "Run on servers with these roles only (also ROLES=...).")
    List<String> roles = new ArrayList<>();

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "Show errors and the summary only.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT, description = "More detail; -vv for SSH debug.")
    boolean[] verbose = new boolean[0];

    @Option(names = "--json", paramLabel = "FILE", scope = ScopeType.INHERIT, description = "Write a JSON-lines event log.")
    Path json;

    @Option(names = "--log", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "The debug log, appended to (default: variable log_file, else log/capstan.log; none: no log).")
    String log;

    @Option(names = "--grouped", scope = ScopeType.INHERIT,
            description = "Print each command's output when it ends, identical output of many hosts once.")
    boolean grouped;

    @Parameters(paramLabel = "[STAGE] TASK", arity = "0..*", description = "An optional stage, then the tasks to run.")
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
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    /** Runs the command line and returns the exit status; what {@code main} and the tests call. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> environment) {
        Main main = new Main(out, err, environment);
        CommandLine commandLine = new CommandLine(main);
        commandLine.setOut(new java.io.PrintWriter(out, true));
        commandLine.setErr(new java.io.PrintWriter(err, true));
        commandLine.setParameterExceptionHandler((ex, arguments) -> {
            err.println("capstan: " + ex.getMessage());
            ex.getCommandLine().usage(err);
            return USAGE;
        });
        return commandLine.execute(args);
    }

    @Override
    public Integer call() {
        return guarded(() -> {
            RecipeLoader.Loaded loaded = loadRecipe(words);
            Configuration config = loaded.configuration();
            if (listTasks) {
                TaskListing.list(config).forEach(out::println);
                return OK;
            }
            if (explain != null) {
                TaskListing.explain(config.require(explain, "")).forEach(out::println);
                return OK;
            }
            if (loaded.tasks().isEmpty()) {
                throw new ConfigException("no task named: capstan -T lists the documented tasks");
            }
            return runEngine(config, engine -> engine.run(loaded.tasks()));
        });
    }

    /** Compiles and loads the recipe, applies {@code -S}, the stage and {@code -s}. */
    RecipeLoader.Loaded loadRecipe(List<String> words) {
        Recipe recipe = RecipeCompiler.withDefaultCache(environment).load(file);
        return RecipeLoader.load(recipe, file.getFileName().toString(), assignments("-S", earlyVariables),
                assignments("-s", lateVariables), words);
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
            // key passphrases and the sudo password are asked the same way, with the status line held
            PassphrasePrompt askOnTerminal = prompt -> output.aside(() -> RemoteTransportFactory.askSecret(prompt));
            try (Engine engine = new Engine(config, options, RemoteTransportFactory.forConfig(config, output.sink(), askOnTerminal),
                    output.sink(), askOnTerminal::passphrase);
                 InterruptHandler interrupts = InterruptHandler.install(engine, err)) {
                output.start();
                try {
                    work.accept(engine);
                    status = OK;
                } catch (ConfigException e) {
                    error = engine.mask(e.getMessage());
                    status = USAGE;
                } catch (CapstanException e) {
                    error = engine.mask(e.getMessage());
                    status = FAILED;
                } catch (RuntimeException e) {
                    error = engine.mask(e.toString()); // a bug in a recipe: its message may still hold a secret
                    status = FAILED;
                }
            }
            output.finish(status, error);
            return status;
        }
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
        } catch (Exception e) {
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
