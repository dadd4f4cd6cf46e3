package dev.capstan.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.ConfigException;
import dev.capstan.Server;
import dev.capstan.UnknownTaskException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigurationTest {

    @Test
    void serversAccumulateRolesAndProperties() {
        Configuration config = new Configuration();
        config.server("deploy@web1", "web", "app");
        config.server("deploy@web1", "db").set("primary", true);
        config.role("daemon", "jobs1", "jobs2");
        assertThat(config.servers()).extracting(Server::spec).containsExactly("deploy@web1", "jobs1", "jobs2");
        Server web1 = config.servers().get(0);
        assertThat(web1.roles()).containsExactly("web", "app", "db");
        assertThat(web1.flag("primary")).isTrue();
        assertThat(config.roles()).containsExactly("web", "app", "db", "daemon");
    }

    @Test
    void anAskedVariableIsAskedOnceOnFirstFetchAndTakesItsDefaultOnAnEmptyAnswer() {
        List<String> asked = new ArrayList<>();
        List<String> answers = new ArrayList<>(List.of(" feature/x \n", ""));
        Configuration config = new Configuration();
        config.answerQuestionsWith((prompt, echo) -> {
            asked.add(prompt + (echo ? "" : " (no echo)"));
            return answers.remove(0);
        });
        config.ask("branch", "main");
        config.ask("tag", "v1");
        assertThat(asked).isEmpty();

        assertThat(config.<String>fetch("branch")).isEqualTo("feature/x");
        assertThat(config.<String>fetch("branch")).isEqualTo("feature/x");
        assertThat(config.<String>fetch("tag")).isEqualTo("v1");
        assertThat(asked).containsExactly("branch [main]: ", "tag [v1]: ");
    }

    @Test
    void withNoOneToAskTheDefaultIsTakenOrTheFetchNamesMinusS() {
        Configuration config = new Configuration();
        config.ask("branch", "main");
        config.ask("ticket", null);
        assertThat(config.<String>fetch("branch")).isEqualTo("main");
        assertThatThrownBy(() -> config.fetch("ticket")).isInstanceOf(ConfigException.class)
                .hasMessage("variable 'ticket' is asked on the terminal, and there is none: give it with -s ticket=VALUE");
        config.set("ticket", "OPS-7"); // -s, after the recipe
        assertThat(config.<String>fetch("ticket")).isEqualTo("OPS-7");
    }

    @Test
    void aVariableSetBeforeTheRecipeAsksForItIsNotAskedAndOneFetchedWhileLoadingNamesMinusCapitalS() {
        Configuration config = new Configuration();
        config.set("ticket", "OPS-1"); // -S, before the recipe
        config.define("Capfile.java", cap -> {
            cap.ask("ticket", null);
            cap.set("title", "fix " + cap.<String>fetch("ticket"));
        });
        assertThat(config.<String>fetch("title")).isEqualTo("fix OPS-1");

        Configuration unanswered = new Configuration();
        assertThatThrownBy(() -> unanswered.define("Capfile.java", cap -> {
            cap.ask("ticket", null);
            cap.fetch("ticket");
        })).isInstanceOf(ConfigException.class)
                .hasMessage("variable 'ticket' is asked on the terminal, and there is none: give it with -S ticket=VALUE");
    }

    @Test
    void anAskedSecretIsNotEchoedAndIsMaskedOnceAnswered() {
        List<Boolean> echoed = new ArrayList<>();
        Configuration config = new Configuration();
        config.answerQuestionsWith((prompt, echo) -> {
            echoed.add(echo);
            return "s3cr3t pass";
        });
        config.askSecret("db_password");
        assertThat(config.variables().secretValues()).doesNotContain("s3cr3t pass");

        assertThat(config.<String>fetch("db_password")).isEqualTo("s3cr3t pass");
        assertThat(echoed).containsExactly(false);
        assertThat(config.variables().secretValues()).contains("s3cr3t pass");
    }

    @Test
    void malformedServerIsAConfigErrorNamingTheSpec() {
        Configuration config = new Configuration();
        assertThatThrownBy(() -> config.server("web1:port"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("malformed host 'web1:port'")
                .hasMessageContaining("ConfigurationTest.java:");
    }

    @Test
    void namespacesDefaultTasksAndRelativeResolution() {
        Configuration config = new Configuration();
        config.namespace("deploy", d -> {
            d.task("default", ctx -> { });
            d.task("symlink", ctx -> { });
            d.namespace("web", w -> w.task("disable", ctx -> { }));
        });
        config.task("symlink", ctx -> { });
        assertThat(config.resolve("deploy", "")).map(TaskDefinition::name).contains("deploy:default");
        assertThat(config.resolve("symlink", "deploy")).map(TaskDefinition::name).contains("deploy:symlink");
        assertThat(config.resolve("symlink", "")).map(TaskDefinition::name).contains("symlink");
        assertThat(config.resolve("disable", "deploy:web")).map(TaskDefinition::name).contains("deploy:web:disable");
        assertThat(config.resolve("deploy:web:disable", "")).isPresent();
    }

    @Test
    void duplicateTaskInOneRecipeIsRejectedWithBothPlaces() {
        Configuration config = new Configuration();
        config.task("restart", ctx -> { });
        assertThatThrownBy(() -> config.task("restart", ctx -> { }))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("duplicate task 'restart' at ConfigurationTest.java:")
                .hasMessageContaining("first declared at ConfigurationTest.java:");
    }

    @Test
    void aTaskAndANamespaceDefaultOfOneNameAreRejected() {
        Configuration config = new Configuration();
        config.task("web", ctx -> { });
        assertThatThrownBy(() -> config.namespace("web", ns -> ns.task("default", ctx -> { })))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("task 'web:default' at ConfigurationTest.java:")
                .hasMessageEndingWith("both answer to 'web': rename one");
    }

    @Test
    void aRecipesOwnTaskOverridesABuiltinOneInEitherOrder() {
        Configuration config = new Configuration();
        config.define("builtin:deploy", cap -> cap.namespace("deploy", d -> d.task("restart", ctx -> ctx.run("builtin"))));
        config.namespace("deploy", d -> d.task("restart", ctx -> ctx.run("mine")));
        assertThat(config.task("deploy:restart")).map(TaskDefinition::origin).contains("recipe");

        Configuration reversed = new Configuration();
        reversed.namespace("deploy", d -> d.task("restart", ctx -> ctx.run("mine")));
        reversed.define("builtin:deploy", cap -> cap.namespace("deploy", d -> d.task("restart", ctx -> ctx.run("builtin"))));
        assertThat(reversed.task("deploy:restart")).map(TaskDefinition::origin).contains("recipe");
    }

    @Test
    void invalidTaskNamesAreRejected() {
        assertThatThrownBy(() -> new Configuration().task("bad name", ctx -> { }))
                .isInstanceOf(ConfigException.class).hasMessageContaining("invalid task name 'bad name'");
        assertThatThrownBy(() -> new Configuration().task("a:b", ctx -> { }))
                .isInstanceOf(ConfigException.class).hasMessageContaining("invalid task name 'a:b'");
    }

    @Test
    void unknownTaskSuggestsTheClosestNames() {
        Configuration config = new Configuration();
        config.namespace("deploy", d -> {
            d.task("default", ctx -> { });
            d.task("rollback", ctx -> { });
        });
        config.namespace("web", w -> w.task("restart", ctx -> { }));
        assertThatThrownBy(() -> config.require("deplyo", ""))
                .isInstanceOf(UnknownTaskException.class)
                .hasMessage("unknown task 'deplyo'; did you mean 'deploy'?");
        assertThatThrownBy(() -> config.require("restart", ""))
                .hasMessage("unknown task 'restart'; did you mean 'web:restart'?");
        assertThatThrownBy(() -> config.require("zzzzzzzz", "")).hasMessage("unknown task 'zzzzzzzz'");
    }

    @Test
    void callbacksMustNameExistingTasks() {
        Configuration config = new Configuration();
        config.task("deploy", ctx -> { });
        config.before("deploy", "deploy:chekc");
        assertThatThrownBy(config::validate).isInstanceOf(ConfigException.class)
                .hasMessageContaining("before(\"deploy\", \"deploy:chekc\"): unknown task 'deploy:chekc'");
    }

    @Test
    void twoAccountsOnOneHostAreTellableApartInOutput() {
        Configuration config = new Configuration();
        config.server("deploy@web1:2222", "app");
        config.server("backup@web1:2222", "app");
        config.server("ops@web1:2222", "app").set("name", "web1-ops");
        config.server("deploy@web2", "app");
        config.validate();
        assertThat(config.servers()).extracting(dev.capstan.Server::label)
                .containsExactly("deploy@web1:2222", "backup@web1:2222", "web1-ops", "web2");
    }

    @Test
    void twoServersGivenOneNameAreRefused() {
        Configuration config = new Configuration();
        config.server("deploy@10.0.0.5", "app").set("name", "same");
        config.server("deploy@10.0.0.6", "app").set("name", "same");
        assertThatThrownBy(config::validate).isInstanceOf(ConfigException.class).hasMessage(
                "servers deploy@10.0.0.5 and deploy@10.0.0.6 are both shown as 'same': give each a name of its own (.set(\"name\", ...))");

        Configuration clash = new Configuration();
        clash.server("web2");
        clash.server("10.0.0.7").set("name", "web2");
        assertThatThrownBy(clash::validate).hasMessageContaining("are both shown as 'web2'");
    }

    @Test
    void aCallbackOnAnotherTasksDefaultNameIsNotTakenForIt() {
        Configuration config = new Configuration();
        config.task("restart", ctx -> { });
        config.task("notify", ctx -> { });
        config.before("restart:default", "notify");
        assertThatThrownBy(config::validate).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown task 'restart:default'");
    }

    @Test
    void callbackCyclesAreRejected() {
        Configuration config = new Configuration();
        config.task("a", ctx -> { });
        config.task("b", ctx -> { });
        config.task("c", ctx -> { });
        config.before("a", "b");
        config.after("b", "c");
        config.before("c", "a");
        assertThatThrownBy(config::validate).isInstanceOf(ConfigException.class)
                .hasMessageContaining("callback cycle: a -> b -> c -> a");
    }

    @Test
    void stagesApplyOnlyWhenChosen() {
        Configuration config = new Configuration();
        config.stage("production", st -> st.server("prod1", "web"));
        config.stage("staging", st -> st.server("stage1", "web"));
        assertThatThrownBy(() -> config.selectStage(null)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("this recipe has stages (production, staging)");
        config.selectStage("staging");
        assertThat(config.servers()).extracting(Server::host).containsExactly("stage1");
        assertThat((String) config.fetch("stage")).isEqualTo("staging");
    }

    @Test
    void defaultStagePicksOneWhenNoneIsNamed() {
        Configuration config = new Configuration();
        config.set("default_stage", "staging");
        config.stage("production", st -> st.server("prod1"));
        config.stage("staging", st -> st.server("stage1"));
        config.selectStage(null);
        assertThat(config.servers()).extracting(Server::host).containsExactly("stage1");
    }

    @Test
    void builtinRecipesAreFoundByNameAndLoadedOnce() {
        Configuration config = new Configuration();
        config.load("greeting");
        config.load("greeting");
        assertThat(config.task("greet")).map(TaskDefinition::origin).contains("builtin:greeting");
    }

    @Test
    void unknownBuiltinRecipeIsAConfigError() {
        assertThatThrownBy(() -> new Configuration().load("nonesuch"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown built-in recipe 'nonesuch'");
    }

    @Test
    void invalidTaskOptionsAreConfigErrors() {
        Configuration config = new Configuration();
        assertThatThrownBy(() -> config.task("t", o -> o.maxHosts(0), ctx -> { }))
                .isInstanceOf(ConfigException.class).hasMessageContaining("task t: maxHosts must be a positive integer, got 0");
        assertThatThrownBy(() -> config.task("u", o -> o.hosts("bad host"), ctx -> { }))
                .isInstanceOf(ConfigException.class).hasMessageContaining("malformed host 'bad host'");
    }
}
