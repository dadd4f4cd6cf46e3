package dev.capstan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.cli.output.Verbosity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** What each option of the command line sets, before and after a subcommand, without running anything. */
class CommandLineModelTest {
    private final Main main = new Main(new PrintStream(new ByteArrayOutputStream()),
            new PrintStream(new ByteArrayOutputStream()), Map.of());

    private ParseResult parse(String... args) {
        return CommandLineModel.of(main).parseArgs(args);
    }

    @Test
    void defaultsWithoutOptions() {
        parse();
        assertThat(main.file).isEqualTo(Path.of("Capfile.java"));
        assertThat(main.words).isEmpty();
        assertThat(main.hosts).isEmpty();
        assertThat(main.listTasks).isFalse();
        assertThat(main.dryRun).isFalse();
        assertThat(main.verbosity()).isEqualTo(Verbosity.NORMAL);
    }

    @Test
    void everyOptionOfTheRootCommandReachesItsField() {
        parse("-f", "deploy/Capfile.java", "-T", "-e", "deploy", "-s", "a=1", "-s", "b=2", "-S", "c=3", "-n",
                "--hosts", "web1,web2", "--hosts", "db1", "--roles", "web", "--json", "run.json", "--log", "none",
                "--grouped", "production", "deploy");
        assertThat(main.file).isEqualTo(Path.of("deploy/Capfile.java"));
        assertThat(main.listTasks).isTrue();
        assertThat(main.explain).isEqualTo("deploy");
        assertThat(main.lateVariables).containsExactly("a=1", "b=2");
        assertThat(main.earlyVariables).containsExactly("c=3");
        assertThat(main.dryRun).isTrue();
        assertThat(main.hosts).containsExactly("web1", "web2", "db1");
        assertThat(main.roles).containsExactly("web");
        assertThat(main.json).isEqualTo(Path.of("run.json"));
        assertThat(main.log).isEqualTo("none");
        assertThat(main.grouped).isTrue();
        assertThat(main.words).containsExactly("production", "deploy");
    }

    @Test
    void verbosityCountsRepeatedFlags() {
        parse("-v");
        assertThat(main.verbosity()).isEqualTo(Verbosity.VERBOSE);
        Main other = new Main(System.out, System.err, Map.of());
        CommandLineModel.of(other).parseArgs("-vv", "--verbose");
        assertThat(other.verbosity()).isEqualTo(Verbosity.DEBUG);
        Main quiet = new Main(System.out, System.err, Map.of());
        CommandLineModel.of(quiet).parseArgs("-q");
        assertThat(quiet.verbosity()).isEqualTo(Verbosity.QUIET);
    }

    @Test
    void sharedOptionsWorkBeforeAndAfterTheSubcommand() {
        ParseResult result = parse("-f", "a/Capfile.java", "-s", "x=1", "exec", "uptime", "--roles", "db", "-q");
        assertThat(result.subcommand().commandSpec().name()).isEqualTo("exec");
        assertThat(main.file).isEqualTo(Path.of("a/Capfile.java"));
        assertThat(main.lateVariables).containsExactly("x=1");
        assertThat(main.roles).containsExactly("db");
        assertThat(main.quiet).isTrue();
        ExecCommand exec = (ExecCommand) result.subcommand().commandSpec().userObject();
        assertThat(exec.command).isEqualTo("uptime");
    }

    @Test
    void execNeedsExactlyOneCommand() {
        assertThatThrownBy(() -> parse("exec")).isInstanceOf(CommandLine.MissingParameterException.class)
                .hasMessageContaining("COMMAND");
        assertThatThrownBy(() -> parse("exec", "uptime", "date"))
                .isInstanceOf(CommandLine.UnmatchedArgumentException.class);
    }

    @Test
    void onlyTheRootHasTaskListingAndHelp() {
        assertThatThrownBy(() -> parse("exec", "-T", "uptime")).isInstanceOf(CommandLine.UnmatchedArgumentException.class);
        assertThat(CommandLineModel.of(main).getSubcommands().keySet()).containsExactly("exec", "init", "demo", "keepers");
    }
}
