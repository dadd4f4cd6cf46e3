package dev.capstan.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.CommandFailedException;
import dev.capstan.Server;
import dev.capstan.event.Event;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelTest {

    private static EngineFixture fleet(java.util.function.Consumer<dev.capstan.ParallelBranches> branches) {
        return new EngineFixture(cap -> {
            cap.server("web1", "web").set("local", true);
            cap.server("app1", "web", "app").set("local", true).set("primary", true);
            cap.server("db1", "db").set("local", true);
            cap.server("misc1").set("local", true);
            cap.task("t", ctx -> ctx.parallel(branches));
        });
    }

    /** Which commands ran on which host, from the start events. */
    private static Map<String, List<String>> commandsByHost(EngineFixture f) {
        return f.events.of(Event.CommandFinished.class).stream().collect(Collectors.groupingBy(
                e -> e.server().host(), java.util.TreeMap::new,
                Collectors.mapping(e -> lineOf(f, e.id()), Collectors.toList())));
    }

    private static String lineOf(EngineFixture f, long id) {
        return f.events.of(Event.CommandStarted.class).stream().filter(s -> s.id() == id).findFirst().orElseThrow().line();
    }

    @Test
    void everyMatchingWhenRunsAndOtherwiseOnlyWhereNoneMatched() {
        EngineFixture f = fleet(p -> {
            p.when(Server.in("web"), "echo spin");
            p.when(Server.in("app"), "echo migrate");
            p.when(Server.in("db"), "echo vacuum");
            p.otherwise("echo idle");
        });
        f.run("t");
        Map<String, List<String>> ran = commandsByHost(f);
        assertThat(ran.get("web1")).containsExactly("echo spin");
        assertThat(ran.get("app1")).containsExactlyInAnyOrder("echo spin", "echo migrate");
        assertThat(ran.get("db1")).containsExactly("echo vacuum");
        assertThat(ran.get("misc1")).containsExactly("echo idle");
    }

    @Test
    void severalCommandsOnOneHostRunAtOnceOnTheirOwnChannels(@TempDir Path dir) {
        // each branch waits for the other's file: only possible if both run at the same time
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        String waitFor = "i=0; while [ ! -e %s ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; test -e %s";
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("app1", "web", "app").set("local", true);
            cap.task("t", ctx -> ctx.parallel(p -> {
                p.when(Server.in("web"), "touch " + a + "; " + waitFor.formatted(b, b));
                p.when(Server.in("app"), "touch " + b + "; " + waitFor.formatted(a, a));
            }));
        });
        f.run("t");
        assertThat(f.events.of(Event.CommandFinished.class)).hasSize(2).allMatch(e -> e.exitStatus() == 0);
    }

    @Test
    void lastStopsLaterBranches() {
        EngineFixture f = fleet(p -> {
            p.when(Server.property("primary", true), "echo primary", true);
            p.when(Server.in("web"), "echo spin");
        });
        f.run("t");
        Map<String, List<String>> ran = commandsByHost(f);
        assertThat(ran.get("app1")).containsExactly("echo primary");
        assertThat(ran.get("web1")).containsExactly("echo spin");
        assertThat(ran).doesNotContainKeys("db1", "misc1");
    }

    @Test
    void serversMatchingNothingRunNothing() {
        EngineFixture f = fleet(p -> p.when(Server.hostMatches("^nothing"), "echo never"));
        f.run("t");
        assertThat(f.events.commands()).isEmpty();
    }

    @Test
    void oneAggregatedErrorAfterAllChannelsEnd() {
        EngineFixture f = fleet(p -> {
            p.when(Server.in("web"), "echo web fails >&2; exit 2");
            p.when(Server.in("db"), "sleep 0.3; exit 5");
            p.otherwise("true");
        });
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(CommandFailedException.class)
                .satisfies(e -> assertThat(((CommandFailedException) e).hosts()).extracting(Server::host)
                        .containsExactlyInAnyOrder("web1", "app1", "db1"))
                .hasMessageContaining("`echo web fails >&2; exit 2` exit status 2")
                .hasMessageContaining("`sleep 0.3; exit 5` exit status 5");
        // every channel ended before the error: misc1's `true` and db1's slow command both finished
        assertThat(f.events.of(Event.CommandFinished.class)).hasSize(4);
    }
}
