package dev.capstan.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.CapstanException;
import dev.capstan.ConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
        CountDownLatch arrived = new CountDownLatch(10);
        List<Thread> threads = new ArrayList<>();
        vars.setLazy("slow", () -> {
            calls.incrementAndGet();
            // the value is being computed: every other thread is in fetch now, waiting for it (at most 10 s)
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!(arrived.await(0, TimeUnit.SECONDS) && othersWaiting(threads)) && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "value";
        });
        List<Object> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        synchronized (threads) {
            for (int i = 0; i < 10; i++) {
                threads.add(Thread.ofVirtual().unstarted(() -> {
                    arrived.countDown();
                    seen.add(vars.fetch("slow"));
                }));
            }
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            assertThat(t.join(Duration.ofSeconds(20))).as("%s finished", t).isTrue();
        }
        assertThat(calls).hasValue(1);
        assertThat(seen).hasSize(10).containsOnly("value");
    }

    /** Whether every thread but the current one has arrived and is blocked: it can only be in fetch. */
    private static boolean othersWaiting(List<Thread> threads) {
        synchronized (threads) {
            return threads.stream().filter(t -> t != Thread.currentThread())
                    .allMatch(t -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.BLOCKED);
        }
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
    void aSecretStaysMaskedAfterItIsClearedOrChanged() {
        Variables vars = new Variables();
        vars.secret("token", "first-token");
        vars.set("plain", "visible");
        assertThat(vars.secretValues()).containsExactly("first-token");

        vars.set("token", null); // wiped after use: the messages about its use still quote it
        vars.set("token", "second-token");

        assertThat(vars.secretValues()).containsExactlyInAnyOrder("first-token", "second-token");
    }

    @Test
    void aValueSetBeforeTheNameIsDeclaredSecretIsMaskedToo() {
        Variables vars = new Variables();
        vars.set("token", "from-the-command-line"); // -S token=...
        vars.secret("token", "default");
        assertThat(vars.secretValues()).containsExactlyInAnyOrder("from-the-command-line", "default");
    }

    @Test
    void theSudoAndSshPasswordsAreSecretHoweverTheyAreSet() {
        Variables vars = new Variables();
        vars.set("sudo_password", "wrongpw2"); // -s sudo_password=...
        vars.set("ssh_password", "sshpw-1");
        assertThat(vars.isSecret("sudo_password")).isTrue();
        assertThat(vars.secretValues()).containsExactlyInAnyOrder("wrongpw2", "sshpw-1");
    }

    @Test
    void secretsThatAreNotStringsAreMaskedAsTheTextTheyStandFor() {
        Variables vars = new Variables();
        vars.secret("chars", "CHARSECRET-abc".toCharArray());
        vars.secret("opt", java.util.Optional.of("OPTSECRET-1"));
        vars.secret("list", java.util.List.of("LISTSECRET-1", "LISTSECRET-2"));
        vars.secret("flag", true); // masking every `true` would hide nothing and blank the output
        assertThat(vars.secretValues()).containsExactlyInAnyOrder("CHARSECRET-abc", "OPTSECRET-1", "LISTSECRET-1",
                "LISTSECRET-2");
    }

    @Test
    void aPasswordFromTheCommandLineKeepsItsCharactersAndLeadingZerosAreText() {
        assertThat(Variables.parseAssignment("-s", "sudo_password=0012345").getValue()).isEqualTo("0012345");
        assertThat(Variables.parseAssignment("-s", "sudo_password=true").getValue()).isEqualTo("true");
        assertThat(Variables.parseAssignment("-s", "pin=007").getValue()).isEqualTo("007");
        assertThat(Variables.parseAssignment("-s", "keep=5").getValue()).isEqualTo(5);
        assertThatThrownBy(() -> Variables.parseAssignment("-s", "sudo-password=hunter2"))
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void maskingNeverComputesALazySecret() {
        Variables vars = new Variables();
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        vars.secret("token", null);
        vars.setLazy("token", () -> "vault-" + asked.incrementAndGet());
        assertThat(vars.secretValues()).isEmpty();
        assertThat(asked).hasValue(0);

        assertThat(vars.<String>fetch("token")).isEqualTo("vault-1");
        assertThat(vars.secretValues()).containsExactly("vault-1");
    }

    @Test
    void aServersOwnValueForASecretVariableIsSecret() {
        Configuration config = new Configuration();
        config.server("db1").set("db_password", "set-before-declared");
        config.secret("db_password", "default-pw");
        config.server("db2").set("db_password", "set-after-declared");
        config.server("db2").set("port_name", "visible");

        assertThat(config.variables().secretValues())
                .containsExactlyInAnyOrder("default-pw", "set-before-declared", "set-after-declared");
    }
}
