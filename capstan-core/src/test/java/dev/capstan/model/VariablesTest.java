package dev.capstan.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.CapstanException;
import dev.capstan.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class VariablesTest {

    @Test
    void lazyValueIsComputedOnceOnFirstFetch() {
        Variables vars = new Variables();
        AtomicInteger calls = new AtomicInteger();
        vars.setLazy("release", () -> "r" + calls.incrementAndGet());
        assertThat(calls).hasValue(0);
        assertThat((String) vars.fetch("release")).isEqualTo("r1");
        assertThat((String) vars.fetch("release")).isEqualTo("r1");
        assertThat(calls).hasValue(1);
    }

    @Test
    void lazyValueIsComputedOnceEvenWhenTenThreadsFetchAtOnce() throws Exception {
        Variables vars = new Variables();
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch inside = new CountDownLatch(1);
        vars.setLazy("slow", () -> {
            calls.incrementAndGet();
            inside.countDown();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "value";
        });
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        List<Object> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 10; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                seen.add(vars.fetch("slow"));
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(calls).hasValue(1);
        assertThat(seen).hasSize(10).containsOnly("value");
    }

    @Test
    void fetchWithDefaultAndMissingVariable() {
        Variables vars = new Variables();
        assertThat(vars.fetch("keep_releases", 5)).isEqualTo(5);
        assertThatThrownBy(() -> vars.fetch("application"))
                .isInstanceOf(CapstanException.class)
                .hasMessageContaining("variable 'application' is not set");
    }

    @Test
    void commandLineValuesAreCoerced() {
        assertThat(Variables.coerce("true")).isEqualTo(Boolean.TRUE);
        assertThat(Variables.coerce("false")).isEqualTo(Boolean.FALSE);
        assertThat(Variables.coerce("42")).isEqualTo(42);
        assertThat(Variables.coerce("-7")).isEqualTo(-7);
        assertThat(Variables.coerce("12345678901")).isEqualTo(12345678901L);
        assertThat(Variables.coerce("4.2")).isEqualTo("4.2");
        assertThat(Variables.coerce("main")).isEqualTo("main");
        assertThat(Variables.coerce("")).isEqualTo("");
    }

    @Test
    void assignmentsNeedAValidName() {
        assertThat(Variables.parseAssignment("-s", "branch=main")).isEqualTo(java.util.Map.entry("branch", "main"));
        assertThat(Variables.parseAssignment("-s", "url=a=b")).isEqualTo(java.util.Map.entry("url", "a=b"));
        assertThatThrownBy(() -> Variables.parseAssignment("-s", "novalue")).isInstanceOf(ConfigException.class)
                .hasMessage("-s novalue: expected NAME=VALUE");
        assertThatThrownBy(() -> Variables.parseAssignment("-S", "bad-name=1")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("invalid variable name 'bad-name'");
    }

    @Test
    void invalidNamesAreRejectedWhenSet() {
        assertThatThrownBy(() -> new Variables().set("9lives", 1)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("invalid variable name '9lives'");
    }

    @Test
    void secretValuesAreListedLongestFirst() {
        Variables vars = new Variables();
        vars.secret("a", "abc");
        vars.secret("b", "abcdef");
        vars.set("plain", "visible");
        assertThat(vars.secretValues()).containsExactly("abcdef", "abc");
    }
}
