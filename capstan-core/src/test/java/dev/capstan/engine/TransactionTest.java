package dev.capstan.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.Server;
import dev.capstan.event.Event;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransactionTest {
    private final List<String> trace = Collections.synchronizedList(new ArrayList<>());

    @Test
    void handlersRunInReverseOrderAndTheOriginalExceptionIsRethrown() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.task("first", ctx -> ctx.onRollback(() -> trace.add("undo first")));
            cap.task("second", ctx -> {
                ctx.onRollback(() -> trace.add("undo second a"));
                ctx.onRollback(() -> trace.add("undo second b"));
            });
            cap.task("third", ctx -> {
                throw new IllegalStateException("third failed");
            });
            cap.task("update", ctx -> ctx.transaction(() -> {
                ctx.invoke("first");
                ctx.invoke("second");
                ctx.invoke("third");
            }));
        });
        assertThatThrownBy(() -> f.run("update")).isInstanceOf(IllegalStateException.class).hasMessage("third failed");
        assertThat(trace).containsExactly("undo second b", "undo second a", "undo first");
        assertThat(f.events.of(Event.RollbackStarted.class)).singleElement()
                .satisfies(e -> assertThat(e.cause()).isEqualTo("third failed"));
    }

    @Test
    void eachHandlerRunsWithTheServersOfTheTaskThatRegisteredIt() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.server("web1", "web");
            cap.server("db1", "db");
            cap.task("web_step", t -> t.roles("web"), ctx -> ctx.onRollback(() -> ctx.run("undo web")));
            cap.task("db_step", t -> t.roles("db"), ctx -> ctx.onRollback(() -> ctx.run("undo db")));
            cap.task("update", ctx -> ctx.transaction(() -> {
                ctx.invoke("web_step");
                ctx.invoke("db_step");
                throw new IllegalStateException("fail");
            }));
        });
        assertThatThrownBy(() -> f.dryRun("update")).hasMessage("fail");
        List<Event.CommandStarted> undo = f.events.of(Event.CommandStarted.class);
        assertThat(undo).extracting(Event.CommandStarted::line).containsExactly("undo db", "undo web");
        assertThat(undo.get(0).servers()).extracting(Server::host).containsExactly("db1");
        assertThat(undo.get(1).servers()).extracting(Server::host).containsExactly("web1");
        assertThat(f.events.of(Event.RollbackStep.class)).extracting(Event.RollbackStep::task).containsExactly("db_step", "web_step");
    }

    @Test
    void aFailingHandlerIsReportedAndTheNextOneStillRuns() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.transaction(() -> {
            ctx.onRollback(() -> trace.add("undo 1"));
            ctx.onRollback(() -> {
                throw new IllegalStateException("handler broke");
            });
            throw new IllegalArgumentException("original");
        })));
        assertThatThrownBy(() -> f.run("t")).isInstanceOf(IllegalArgumentException.class).hasMessage("original");
        assertThat(trace).containsExactly("undo 1");
        assertThat(f.events.of(Event.RollbackStep.class)).extracting(Event.RollbackStep::succeeded).containsExactly(false, true);
        assertThat(f.events.of(Event.RollbackFinished.class)).singleElement().satisfies(e -> {
            assertThat(e.handlers()).isEqualTo(2);
            assertThat(e.failed()).isEqualTo(1);
        });
    }

    @Test
    void nestedTransactionsJoinTheOuterOne() {
        EngineFixture f = new EngineFixture(cap -> {
            cap.task("inner", ctx -> ctx.transaction(() -> ctx.onRollback(() -> trace.add("undo inner"))));
            cap.task("outer", ctx -> ctx.transaction(() -> {
                ctx.onRollback(() -> trace.add("undo outer"));
                ctx.invoke("inner");          // commits its nested transaction: nothing rolls back yet
                trace.add("after inner");
                throw new IllegalStateException("later failure");
            }));
        });
        assertThatThrownBy(() -> f.run("outer")).hasMessage("later failure");
        assertThat(trace).containsExactly("after inner", "undo inner", "undo outer");
        assertThat(f.events.of(Event.RollbackStarted.class)).hasSize(1);
    }

    @Test
    void onRollbackOutsideATransactionIsIgnored() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> {
            ctx.onRollback(() -> trace.add("never"));
            throw new IllegalStateException("fail");
        }));
        assertThatThrownBy(() -> f.run("t")).hasMessage("fail");
        assertThat(trace).isEmpty();
        assertThat(f.events.of(Event.RollbackStarted.class)).isEmpty();
    }

    @Test
    void aCommittedTransactionRunsNoHandler() {
        EngineFixture f = new EngineFixture(cap -> cap.task("t", ctx -> ctx.transaction(() -> ctx.onRollback(() -> trace.add("never")))));
        f.run("t");
        assertThat(trace).isEmpty();
    }
}
