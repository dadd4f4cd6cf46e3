package dev.capstan.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ScopeType;

/**
 * The {@code capstan} command line, its options and subcommands, built with picocli's programmatic API and bound to
 * the fields of {@link Main} and its subcommands. Built by hand rather than from annotations: reading annotations
 * reflectively makes the JVM generate a proxy class per annotation type and a method handle per accessor, about 35 ms
 * of every start on a cold JVM, none of which the start-up cache can keep.
 */
final class CommandLineModel {

    /**
     * Creates what picocli asks for: the collections of list options, plain classes by their constructor. Not picocli's
     * {@code DefaultFactory}, whose class initializer looks for Groovy on the class path: a failed lookup that opens and
     * indexes every jar on it, ~4 ms of every start. Anything this does not know goes to picocli's own factory.
     */
    private static final CommandLine.IFactory FACTORY = new CommandLine.IFactory() {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            if (type == List.class || type == java.util.Collection.class) {
                return type.cast(new java.util.ArrayList<>());
            }
            if (type.isInterface() || java.lang.reflect.Modifier.isAbstract(type.getModifiers())) {
                return CommandLine.defaultFactory().create(type);
            }
            return type.getDeclaredConstructor().newInstance();
        }
    };

    private CommandLineModel() {
    }

    /** The root command for {@code main}, with {@code exec}, {@code init}, {@code demo} and {@code keepers} under it. */
    static CommandLine of(Main main) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(main, FACTORY);
        spec.name("capstan").versionProvider(new Main.Version());
        spec.usageMessage()
                .sortOptions(false)
                .autoWidth(true)
                .description("Runs tasks from a Java recipe (Capfile.java) on many servers at once over SSH.")
                .exitCodeListHeading("%nExit status:%n")
                .exitCodeList(exitCodes());

        // Path::of as the converter: picocli's own (for Java 5) finds Paths.get reflectively, ~2 ms of every start
        spec.addOption(option(inherited("-f", "--file").paramLabel("FILE").type(Path.class).converters(Path::of)
                .defaultValue(Main.DEFAULT_RECIPE).description("The recipe (default: ${DEFAULT-VALUE})."),
                () -> main.file, v -> main.file = (Path) v));
        spec.addOption(option(OptionSpec.builder("-T", "--tasks").type(boolean.class)
                .description("List the documented tasks."), () -> main.listTasks, v -> main.listTasks = (Boolean) v));
        spec.addOption(option(OptionSpec.builder("-e", "--explain").paramLabel("TASK").type(String.class)
                .description("Explain one task."), () -> main.explain, v -> main.explain = (String) v));
        spec.addOption(option(inheritedList("-s").paramLabel("NAME=VALUE")
                .description("Set a variable after the recipe loads (true/false and integers are typed)."),
                () -> main.lateVariables, v -> main.lateVariables = asStrings(v)));
        spec.addOption(option(inheritedList("-S").paramLabel("NAME=VALUE")
                .description("Set a variable before the recipe loads."),
                () -> main.earlyVariables, v -> main.earlyVariables = asStrings(v)));
        spec.addOption(option(inherited("-n", "--dry-run").type(boolean.class)
                .description("Show the commands; run nothing."), () -> main.dryRun, v -> main.dryRun = (Boolean) v));
        spec.addOption(option(inheritedList("--hosts").paramLabel("H1,H2").splitRegex(",")
                .description("Run on these hosts only (also HOSTS=...)."), () -> main.hosts, v -> main.hosts = asStrings(v)));
        spec.addOption(option(inheritedList("--roles").paramLabel("R1,R2").splitRegex(",")
                .description("Run on servers with these roles only (also ROLES=...)."),
                () -> main.roles, v -> main.roles = asStrings(v)));
        spec.addOption(option(inherited("-q", "--quiet").type(boolean.class)
                .description("Show errors and the summary only."), () -> main.quiet, v -> main.quiet = (Boolean) v));
        // a flag that may be repeated (-vv): one true per occurrence
        spec.addOption(option(inherited("-v", "--verbose").type(boolean[].class).auxiliaryTypes(boolean.class).arity("0")
                .description("More detail; -vv for SSH debug."), () -> main.verbose, v -> main.verbose = (boolean[]) v));
        spec.addOption(option(inherited("--json").paramLabel("FILE").type(Path.class).converters(Path::of)
                .description("Write a JSON-lines event log."), () -> main.json, v -> main.json = (Path) v));
        spec.addOption(option(inherited("--log").paramLabel("FILE").type(String.class)
                .description("The debug log, appended to (default: variable log_file, else log/capstan.log; none: no log)."),
                () -> main.log, v -> main.log = (String) v));
        spec.addOption(option(inherited("--grouped").type(boolean.class)
                .description("Print each command's output when it ends, identical output of many hosts once."),
                () -> main.grouped, v -> main.grouped = (Boolean) v));
        spec.addPositional(positional(PositionalParamSpec.builder().type(List.class).auxiliaryTypes(String.class)
                .paramLabel("[STAGE] TASK").arity("0..*")
                .description("An optional stage, then the tasks to run."), () -> main.words, v -> main.words = asStrings(v)));
        // picocli's mixinStandardHelpOptions, without the annotations it reads them from; last, as they are in the help
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.")
                .build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());

        CommandLine commandLine = new CommandLine(spec, FACTORY);
        ExecCommand exec = new ExecCommand(main);
        CommandSpec execSpec = subcommand(exec, "Run one shell command on the selected servers (all unless --hosts/--roles);"
                + " a stage may come first: capstan production exec 'uptime'. With --hosts and no Capfile.java here,"
                + " no recipe is needed.");
        execSpec.addOption(option(OptionSpec.builder("--sudo").type(boolean.class)
                .description("Run it with sudo, as ctx.sudo does (Ansible's --become); the password from sudo_password"
                        + " or asked once."), () -> exec.sudo, v -> exec.sudo = (Boolean) v));
        execSpec.addPositional(positional(PositionalParamSpec.builder().paramLabel("COMMAND").arity("1").required(true)
                .type(String.class).description("The shell command."), () -> exec.command, v -> exec.command = (String) v));
        commandLine.addSubcommand("exec", new CommandLine(execSpec, FACTORY));
        commandLine.addSubcommand("init", new CommandLine(subcommand(new InitCommand(main),
                "Write a commented starter Capfile.java for a Java service."), FACTORY));
        commandLine.addSubcommand("demo", new CommandLine(subcommand(new DemoCommand(main),
                "Deploy a sample app to four embedded sandbox SSH hosts (no servers needed)."), FACTORY));
        KeepersCommand keepers = new KeepersCommand(main);
        CommandSpec keepersSpec = subcommand(keepers, "List the background processes that keep connections between runs"
                + " (ssh_keep_connections) and the hosts each holds; with --stop, end them.");
        keepersSpec.addOption(option(OptionSpec.builder("--stop").type(boolean.class)
                .description("End every keeper: it takes no more calls, lets those under way end, then closes its"
                        + " connections."), () -> keepers.stop, v -> keepers.stop = (Boolean) v));
        commandLine.addSubcommand("keepers", new CommandLine(keepersSpec, FACTORY));
        return commandLine;
    }

    private static Map<String, String> exitCodes() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put("0", "success");
        codes.put("1", "a task failed (and was rolled back where it could be)");
        codes.put("2", "the call or the recipe is wrong (unknown option or task, compile error)");
        return codes;
    }

    private static CommandSpec subcommand(Object command, String description) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command, FACTORY);
        spec.usageMessage().description(description);
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.")
                .build());
        return spec;
    }

    /** An option that the subcommands have too. */
    private static OptionSpec.Builder inherited(String... names) {
        return OptionSpec.builder(names).scopeType(ScopeType.INHERIT);
    }

    /** A repeatable option that the subcommands have too: a list of strings. */
    private static OptionSpec.Builder inheritedList(String... names) {
        return inherited(names).type(List.class).auxiliaryTypes(String.class);
    }

    @SuppressWarnings("unchecked") // what picocli parsed for an argument of type List<String>
    private static List<String> asStrings(Object value) {
        return (List<String>) value;
    }

    /**
     * An option bound to a field: picocli reads the field's value as the option's initial value (for a list, the list
     * to add to) and writes what it parsed into the field.
     */
    private static OptionSpec option(OptionSpec.Builder option, Supplier<Object> get, Consumer<Object> set) {
        Binding field = new Binding(get, set);
        return option.getter(field).setter(field).initialValue(get.get()).build();
    }

    /** A positional parameter bound to a field, like {@link #option}. */
    private static PositionalParamSpec positional(PositionalParamSpec.Builder parameter, Supplier<Object> get,
            Consumer<Object> set) {
        Binding field = new Binding(get, set);
        return parameter.getter(field).setter(field).initialValue(get.get()).build();
    }

    /** Reads and writes one field for picocli, without reflection. */
    private record Binding(Supplier<Object> reader, Consumer<Object> writer) implements IGetter, ISetter {
        @Override
        @SuppressWarnings("unchecked")
        public <T> T get() {
            return (T) reader.get();
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T set(T value) {
            Object previous = reader.get();
            writer.accept(value);
            return (T) previous;
        }
    }
}
