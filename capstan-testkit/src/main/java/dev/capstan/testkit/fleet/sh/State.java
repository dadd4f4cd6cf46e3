package dev.capstan.testkit.fleet.sh;

import java.util.ArrayDeque;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** The mutable state of one shell: variables, functions, positional parameters, directory and options. */
final class State {

    private static final AtomicInteger PIDS = new AtomicInteger(4000);

    final Map<String, String> vars;
    final Map<String, Ast.Node> functions;
    List<String> positional;
    String scriptName;
    String cwd;
    boolean errexit;
    boolean noclobber;
    boolean nounset;
    boolean pipefail;
    int lastStatus;
    /** Status of the last command substitution, which is {@code $?} after a command of only assignments. */
    int lastSubstitutionStatus;
    String exitTrap;
    /** Background jobs started and not yet waited for, by process id. */
    final Map<Integer, Job> jobs;
    int lastBackgroundPid;
    /** Files opened by {@code exec}'s redirections: they stay open until the shell ends. */
    final List<Closeable> keptOpen;
    final int pid;
    /** Saved values of variables made {@code local}, one map per active function call. */
    final Deque<Map<String, String>> localFrames;

    State(Map<String, String> vars, String cwd) {
        this.vars = new LinkedHashMap<>(vars);
        this.functions = new HashMap<>();
        this.positional = List.of();
        this.scriptName = "sh";
        this.cwd = cwd;
        this.jobs = new LinkedHashMap<>();
        this.keptOpen = new ArrayList<>();
        this.pid = PIDS.incrementAndGet();
        this.localFrames = new ArrayDeque<>();
    }

    private State(State other) {
        this.vars = new LinkedHashMap<>(other.vars);
        this.functions = new HashMap<>(other.functions);
        this.positional = other.positional;
        this.scriptName = other.scriptName;
        this.cwd = other.cwd;
        this.errexit = other.errexit;
        this.noclobber = other.noclobber;
        this.nounset = other.nounset;
        this.pipefail = other.pipefail;
        this.lastStatus = other.lastStatus;
        this.jobs = new LinkedHashMap<>();
        this.keptOpen = new ArrayList<>();
        this.pid = other.pid; // $$ is the parent's in a subshell
        this.localFrames = new ArrayDeque<>();
    }

    /** A background job, and its exit status once it has ended. */
    static final class Job {
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile int status;

        void ended(int exitStatus) {
            status = exitStatus;
            done.countDown();
        }

        /** @return its exit status, once it has ended */
        int await() throws InterruptedException {
            done.await();
            return status;
        }
    }

    /** @return a copy for a subshell: changes to it do not reach this state */
    State copy() {
        return new State(this);
    }

    static int newPid() {
        return PIDS.incrementAndGet();
    }

    String get(String name) {
        return vars.get(name);
    }

    void set(String name, String value) {
        vars.put(name, value);
    }

    void unset(String name) {
        vars.remove(name);
    }

    /** Records the current value of {@code name} so that the innermost function call restores it on return. */
    void makeLocal(String name) {
        Map<String, String> frame = localFrames.peek();
        if (frame != null && !frame.containsKey(name)) {
            frame.put(name, vars.get(name));
        }
    }

    /** @return the option letters for {@code $-} */
    String optionFlags() {
        return (errexit ? "e" : "") + (noclobber ? "C" : "") + (nounset ? "u" : "");
    }
}
