package dev.capstan.testkit.fleet.sh;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.capstan.testkit.fleet.sh.Ast.AndOr;
import dev.capstan.testkit.fleet.sh.Ast.Arith;
import dev.capstan.testkit.fleet.sh.Ast.Assign;
import dev.capstan.testkit.fleet.sh.Ast.Case;
import dev.capstan.testkit.fleet.sh.Ast.CaseArm;
import dev.capstan.testkit.fleet.sh.Ast.CommandSub;
import dev.capstan.testkit.fleet.sh.Ast.For;
import dev.capstan.testkit.fleet.sh.Ast.FunctionDef;
import dev.capstan.testkit.fleet.sh.Ast.Group;
import dev.capstan.testkit.fleet.sh.Ast.If;
import dev.capstan.testkit.fleet.sh.Ast.Item;
import dev.capstan.testkit.fleet.sh.Ast.Lit;
import dev.capstan.testkit.fleet.sh.Ast.Loop;
import dev.capstan.testkit.fleet.sh.Ast.Node;
import dev.capstan.testkit.fleet.sh.Ast.Param;
import dev.capstan.testkit.fleet.sh.Ast.Part;
import dev.capstan.testkit.fleet.sh.Ast.Pipeline;
import dev.capstan.testkit.fleet.sh.Ast.Redir;
import dev.capstan.testkit.fleet.sh.Ast.Redirected;
import dev.capstan.testkit.fleet.sh.Ast.Seq;
import dev.capstan.testkit.fleet.sh.Ast.Simple;
import dev.capstan.testkit.fleet.sh.Ast.Subshell;
import dev.capstan.testkit.fleet.sh.Ast.Tilde;
import dev.capstan.testkit.fleet.sh.Ast.Word;

/**
 * Runs parsed scripts: lists, pipelines, compound commands, functions, expansions (parameters, command substitution,
 * arithmetic, field splitting, pathname globbing) and redirections. Utilities run in-process on the calling thread;
 * pipeline stages run one after the other, each reading the whole output of the previous one, which is exact for the
 * finite commands deploy scripts use.
 */
final class Interpreter {

    /**
     * Where a command runs: the shell state, its open descriptors (one redirection scope, see {@link Descriptors}),
     * and whether {@code set -e} is suspended.
     */
    record Ctx(State state, Descriptors fds, boolean condition) {

        Ctx(State state, InputStream in, OutputStream out, OutputStream err, boolean condition) {
            this(state, new Descriptors(in, out, err), condition);
        }

        InputStream in() {
            return fds.in();
        }

        OutputStream out() {
            return fds.out();
        }

        OutputStream err() {
            return fds.err();
        }

        Ctx asCondition() {
            return condition ? this : new Ctx(state, fds, true);
        }

        /** @return the context of a new process with state {@code s}: it gets a copy of the descriptors */
        Ctx with(State s) {
            return new Ctx(s, fds.copy(), condition);
        }

        Ctx with(InputStream i, OutputStream o, OutputStream e) {
            return new Ctx(state, fds.with(i, o, e), condition);
        }
    }

    private static final Set<String> BIN_DIRS = Set.of("/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin");
    private static final Set<String> SHELLS = Set.of("sh", "bash", "dash");

    private final Shell.Host host;
    private final Map<String, Utility> utilities;
    private volatile boolean stopped;
    /** Threads of the background jobs still running, to interrupt when the shell is stopped. */
    private final Set<Thread> jobThreads = ConcurrentHashMap.newKeySet();

    Interpreter(Shell.Host host) {
        this.host = host;
        this.utilities = Utilities.all();
    }

    Shell.Host host() {
        return host;
    }

    /** @return whether {@code name} is a builtin or emulated utility */
    boolean isUtility(String name) {
        return utilities.containsKey(name);
    }

    // ---- commands ---------------------------------------------------------------------------------------------

    /** No command starts after this, and background jobs are interrupted; see {@link Shell#stop()}. */
    void stop() {
        stopped = true;
        jobThreads.forEach(Thread::interrupt);
    }

    int execute(Node node, Ctx ctx) {
        if (stopped || Thread.currentThread().isInterrupted()) {
            throw new Signals.Killed();
        }
        return switch (node) {
            case Seq seq -> seq(seq, ctx);
            case AndOr andOr -> andOr(andOr, ctx);
            case Pipeline pipeline -> pipeline(pipeline, ctx);
            case Simple simple -> simple(simple, ctx);
            case Group group -> execute(group.body(), ctx);
            case Subshell subshell -> subshell(subshell.body(), ctx);
            case If ifNode -> ifClause(ifNode, ctx);
            case Loop loop -> loop(loop, ctx);
            case For forNode -> forLoop(forNode, ctx);
            case Case caseNode -> caseClause(caseNode, ctx);
            case FunctionDef def -> {
                ctx.state().functions.put(def.name(), def.body());
                yield 0;
            }
            case Redirected redirected -> redirected(redirected, ctx);
        };
    }

    private int seq(Seq seq, Ctx ctx) {
        int status = 0;
        for (Item item : seq.items()) {
            if (item.background()) {
                background(item.node(), ctx);
                status = 0;
            } else {
                status = execute(item.node(), ctx);
            }
            ctx.state().lastStatus = status;
        }
        return status;
    }

    private void background(Node node, Ctx ctx) {
        State state = ctx.state().copy();
        Ctx job = new Ctx(state, ctx.fds().with(InputStream.nullInputStream(), ctx.out(), ctx.err()), false);
        int pid = State.newPid();
        State.Job ending = new State.Job();
        Thread thread = Thread.ofVirtual().name("capstan-fleet-job-" + pid).unstarted(() -> {
            int status = 143;
            try {
                status = execute(node, job);
            } catch (Signals.Exit e) {
                status = e.status;
            } catch (RuntimeException e) {
                // Killed, or a failure: the job ends as if terminated
            } finally {
                flushQuietly(job.out());
                flushQuietly(job.err());
                jobThreads.remove(Thread.currentThread());
                ending.ended(status);
            }
        });
        jobThreads.add(thread);
        thread.start();
        ctx.state().jobs.put(pid, ending);
        ctx.state().lastBackgroundPid = pid;
    }

    private int andOr(AndOr andOr, Ctx ctx) {
        int status = execute(andOr.first(), ctx.asCondition());
        ctx.state().lastStatus = status;
        for (int i = 0; i < andOr.rest().size(); i++) {
            boolean and = andOr.ops().get(i);
            if (and == (status == 0)) {
                boolean last = i == andOr.rest().size() - 1;
                status = execute(andOr.rest().get(i), last ? ctx : ctx.asCondition());
                ctx.state().lastStatus = status;
            }
        }
        return status;
    }

    private int pipeline(Pipeline pipeline, Ctx ctx) {
        List<Node> commands = pipeline.commands();
        Ctx base = pipeline.negated() ? ctx.asCondition() : ctx;
        int status;
        if (commands.size() == 1) {
            status = execute(commands.get(0), base);
        } else {
            InputStream in = ctx.in();
            int failed = 0;
            status = 0;
            for (int i = 0; i < commands.size(); i++) {
                boolean last = i == commands.size() - 1;
                ByteArrayOutputStream buffer = last ? null : new ByteArrayOutputStream();
                Ctx stage = new Ctx(ctx.state().copy(), ctx.fds().with(in, last ? ctx.out() : buffer, ctx.err()), true);
                try {
                    status = execute(commands.get(i), stage);
                } catch (Signals.Exit e) {
                    status = e.status;
                }
                if (status != 0) {
                    failed = status;
                }
                in = last ? null : new ByteArrayInputStream(buffer.toByteArray());
            }
            if (ctx.state().pipefail && failed != 0) {
                status = failed;
            }
            if (!pipeline.negated()) {
                checkErrexit(status, ctx);
            }
        }
        return pipeline.negated() ? (status == 0 ? 1 : 0) : status;
    }

    private int subshell(Seq body, Ctx ctx) {
        int status;
        try {
            status = execute(body, ctx.with(ctx.state().copy()));
        } catch (Signals.Exit e) {
            status = e.status;
        }
        checkErrexit(status, ctx);
        return status;
    }

    private int ifClause(If node, Ctx ctx) {
        for (int i = 0; i < node.conditions().size(); i++) {
            if (execute(node.conditions().get(i), ctx.asCondition()) == 0) {
                return execute(node.bodies().get(i), ctx);
            }
        }
        return node.elseBody() == null ? 0 : execute(node.elseBody(), ctx);
    }

    private int loop(Loop loop, Ctx ctx) {
        int status = 0;
        while (true) {
            int condition = execute(loop.condition(), ctx.asCondition());
            if (loop.until() == (condition == 0)) {
                return status;
            }
            try {
                status = execute(loop.body(), ctx);
            } catch (Signals.LoopControl control) {
                if (control.levels > 1) {
                    throw new Signals.LoopControl(control.isBreak, control.levels - 1);
                }
                if (control.isBreak) {
                    return 0;
                }
            }
        }
    }

    private int forLoop(For node, Ctx ctx) {
        List<String> values = node.items() == null ? ctx.state().positional : fields(node.items(), ctx);
        int status = 0;
        for (String value : values) {
            ctx.state().set(node.name(), value);
            try {
                status = execute(node.body(), ctx);
            } catch (Signals.LoopControl control) {
                if (control.levels > 1) {
                    throw new Signals.LoopControl(control.isBreak, control.levels - 1);
                }
                if (control.isBreak) {
                    return 0;
                }
            }
        }
        return status;
    }

    private int caseClause(Case node, Ctx ctx) {
        String subject = string(node.subject(), ctx);
        for (CaseArm arm : node.arms()) {
            for (Word pattern : arm.patterns()) {
                Pattern p = pattern(pattern, ctx);
                if (Patterns.matches(p.text(), p.active(), subject)) {
                    return execute(arm.body(), ctx);
                }
            }
        }
        return 0;
    }

    private int redirected(Redirected node, Ctx ctx) {
        List<Closeable> opened = new ArrayList<>();
        try {
            Ctx redirectedCtx;
            try {
                redirectedCtx = redirect(node.redirs(), ctx, opened);
            } catch (RedirectionError e) {
                writeErr(ctx, "sh: " + e.getMessage());
                return 2;
            }
            return execute(node.body(), redirectedCtx);
        } finally {
            closeAll(opened);
        }
    }

    private int simple(Simple cmd, Ctx ctx) {
        State state = ctx.state();
        state.lastSubstitutionStatus = 0;
        List<String> argv = fields(cmd.words(), ctx);
        if (argv.isEmpty()) {
            for (Assign a : cmd.assigns()) {
                state.set(a.name(), string(a.value(), ctx));
            }
            int status = state.lastSubstitutionStatus;
            List<Closeable> opened = new ArrayList<>();
            try {
                redirect(cmd.redirs(), ctx, opened);
            } catch (RedirectionError e) {
                writeErr(ctx, "sh: " + e.getMessage());
                status = 2;
            } finally {
                closeAll(opened);
            }
            checkErrexit(status, ctx);
            return status;
        }
        if (argv.size() == 1 && argv.get(0).equals("exec") && !state.functions.containsKey("exec")) {
            // exec with only redirections: they stay, for the rest of this shell
            int status = 0;
            try {
                redirectInto(ctx.fds(), cmd.redirs(), ctx, state.keptOpen);
            } catch (RedirectionError e) {
                writeErr(ctx, "sh: " + e.getMessage());
                status = 2;
            }
            checkErrexit(status, ctx);
            return status;
        }
        Map<String, String> prefix = new LinkedHashMap<>();
        for (Assign a : cmd.assigns()) {
            prefix.put(a.name(), string(a.value(), ctx));
        }
        List<Closeable> opened = new ArrayList<>();
        int status;
        try {
            Ctx rctx;
            try {
                rctx = redirect(cmd.redirs(), ctx, opened);
            } catch (RedirectionError e) {
                writeErr(ctx, "sh: " + e.getMessage());
                checkErrexit(2, ctx);
                return 2;
            }
            status = withPrefix(prefix, state, () -> invoke(argv, rctx, false));
            flushQuietly(rctx.out());
            flushQuietly(rctx.err());
        } finally {
            closeAll(opened);
        }
        checkErrexit(status, ctx);
        return status;
    }

    private interface IntBody {
        int run();
    }

    /** Runs with {@code VAR=value} prefix assignments in effect, restoring the old values after. */
    private static int withPrefix(Map<String, String> prefix, State state, IntBody body) {
        if (prefix.isEmpty()) {
            return body.run();
        }
        Map<String, String> saved = new HashMap<>();
        prefix.forEach((k, v) -> {
            saved.put(k, state.get(k));
            state.set(k, v);
        });
        try {
            return body.run();
        } finally {
            saved.forEach((k, v) -> {
                if (v == null) {
                    state.unset(k);
                } else {
                    state.set(k, v);
                }
            });
        }
    }

    private void checkErrexit(int status, Ctx ctx) {
        if (status != 0 && ctx.state().errexit && !ctx.condition()) {
            throw new Signals.Exit(status);
        }
    }

    /**
     * Runs a command by name: a function (unless {@code skipFunctions}), a builtin or emulated utility, or a script
     * file on the host.
     */
    int invoke(List<String> argv, Ctx ctx, boolean skipFunctions) {
        String name = argv.get(0);
        Node function = skipFunctions ? null : ctx.state().functions.get(name);
        if (function != null) {
            return callFunction(function, argv, ctx);
        }
        Utility utility = utilities.get(name);
        List<String> args = argv;
        if (utility == null && name.contains("/")) {
            String dir = name.substring(0, name.lastIndexOf('/'));
            String base = name.substring(name.lastIndexOf('/') + 1);
            if (BIN_DIRS.contains(dir) && utilities.containsKey(base)) {
                utility = utilities.get(base);
                args = new ArrayList<>(argv);
                args.set(0, base);
            } else {
                return script(name, argv, ctx);
            }
        }
        if (utility == null) {
            writeErr(ctx, "capstan-fleet: command not supported: " + name);
            return 127;
        }
        Proc proc = new Proc(this, ctx, args);
        try {
            return utility.run(proc);
        } catch (Proc.Usage e) {
            writeErr(ctx, args.get(0) + ": " + e.getMessage());
            return e.status;
        } catch (FsException e) {
            writeErr(ctx, args.get(0) + ": " + e.path() + ": " + e.getMessage());
            return 1;
        } catch (IOException e) {
            if (stopped || Thread.currentThread().isInterrupted()) {
                throw new Signals.Killed();
            }
            writeErr(ctx, args.get(0) + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Signals.Killed();
        }
    }

    private int callFunction(Node body, List<String> argv, Ctx ctx) {
        State state = ctx.state();
        List<String> savedPositional = state.positional;
        state.positional = List.copyOf(argv.subList(1, argv.size()));
        state.localFrames.push(new HashMap<>());
        try {
            return execute(body, ctx);
        } catch (Signals.Return r) {
            return r.status;
        } finally {
            state.positional = savedPositional;
            state.localFrames.pop().forEach((k, v) -> {
                if (v == null) {
                    state.unset(k);
                } else {
                    state.set(k, v);
                }
            });
        }
    }

    /** A path as a command: a shell script on the host runs in a subshell; anything else is not supported. */
    private int script(String name, List<String> argv, Ctx ctx) {
        String path = new Proc(this, ctx, argv).abs(name);
        HostFs.Stat stat = host.fs().stat(path);
        if (stat == null) {
            writeErr(ctx, "sh: " + name + ": not found");
            return 127;
        }
        if (stat.isDirectory() || (stat.mode() & 0111) == 0) {
            writeErr(ctx, "sh: " + name + ": Permission denied");
            return 126;
        }
        String text;
        try (InputStream in = host.fs().openRead(path)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            writeErr(ctx, "sh: " + name + ": " + e.getMessage());
            return 126;
        }
        if (text.startsWith("#!")) {
            String line = text.lines().findFirst().orElse("").substring(2).strip();
            String interpreter = line.split("\\s+")[0];
            String base = interpreter.substring(interpreter.lastIndexOf('/') + 1);
            if (base.equals("env") && line.split("\\s+").length > 1) {
                base = line.split("\\s+")[1];
            }
            if (!SHELLS.contains(base)) {
                writeErr(ctx, "capstan-fleet: command not supported: " + name + " (a " + base + " script)");
                return 127;
            }
        }
        State sub = ctx.state().copy();
        sub.positional = List.copyOf(argv.subList(1, argv.size()));
        sub.scriptName = name;
        sub.functions.clear();
        return runScript(text, ctx.with(sub), name, true);
    }

    /**
     * Parses and runs a script in the given context's state (for {@code eval}, {@code .}, {@code sh -c}); a syntax
     * error is reported as the shell reports it, with status 2. With {@code catchExit}, {@code exit} ends only the
     * script (a new shell process); without, it ends the calling shell too ({@code eval}, {@code .}).
     */
    int runScript(String text, Ctx ctx, String name, boolean catchExit) {
        Seq seq;
        try {
            seq = Parser.parse(text);
        } catch (SyntaxError e) {
            writeErr(ctx, name + ": " + e.getMessage());
            return 2;
        }
        if (!catchExit) {
            return execute(seq, ctx);
        }
        try {
            return execute(seq, ctx);
        } catch (Signals.Exit e) {
            return e.status;
        }
    }

    /**
     * Reads commands from the context's stdin and runs each as soon as it is complete (a line, or several for an open
     * {@code if} or quote), like {@code sh} reading a script from a pipe, until end of input. Commands that read stdin
     * read the rest of it, as with a real shell; {@code exit} ends it with {@link Signals.Exit}.
     *
     * @return the exit status of the last command
     */
    int interact(Ctx ctx) throws IOException {
        State state = ctx.state();
        StringBuilder pending = new StringBuilder();
        while (true) {
            String line = readLine(ctx.in());
            if (line == null) {
                if (!pending.isEmpty()) {
                    writeErr(ctx, "sh: Syntax error: end of file unexpected");
                    state.lastStatus = 2;
                }
                return state.lastStatus;
            }
            pending.append(line).append('\n');
            Seq seq;
            try {
                seq = Parser.parse(pending.toString());
            } catch (SyntaxError e) {
                if (e.incomplete()) {
                    continue;
                }
                writeErr(ctx, "sh: " + e.getMessage());
                state.lastStatus = 2;
                pending.setLength(0);
                continue;
            }
            pending.setLength(0);
            try {
                state.lastStatus = execute(seq, ctx);
            } catch (Signals.Return | Signals.LoopControl e) {
                // stray return/break at top level: ignored, as dash does
            }
            flushQuietly(ctx.out());
            flushQuietly(ctx.err());
        }
    }

    /** Reads one line byte by byte, so that nothing after it is consumed; null at end of input. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
            }
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            line.write(b);
        }
    }

    // ---- redirections -----------------------------------------------------------------------------------------

    /** A redirection could not be set up; the message is what sh prints after {@code "sh: "}. */
    private static final class RedirectionError extends Exception {
        private static final long serialVersionUID = 1L;

        RedirectionError(String message) {
            super(message);
        }
    }

    private Ctx redirect(List<Redir> redirs, Ctx ctx, List<Closeable> opened) throws RedirectionError {
        if (redirs.isEmpty()) {
            return ctx;
        }
        Descriptors fds = ctx.fds().copy();
        redirectInto(fds, redirs, ctx, opened);
        return new Ctx(ctx.state(), fds, ctx.condition());
    }

    /** Performs {@code redirs} in order on {@code fds}; what they open is added to {@code opened}. */
    private void redirectInto(Descriptors fds, List<Redir> redirs, Ctx ctx, List<Closeable> opened)
            throws RedirectionError {
        for (Redir r : redirs) {
            switch (r.op()) {
                case "<<" -> {
                    String body = string(r.heredoc().body, ctx);
                    fds.set(r.fd(), new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
                }
                case "<", "<>" -> fds.set(r.fd(), openInput(string(r.target(), ctx), ctx, opened));
                case ">&", "<&" -> {
                    String target = string(r.target(), ctx);
                    if (target.equals("-")) {
                        fds.close(r.fd());
                    } else if (target.matches("\\d{1,9}")) {
                        Closeable stream = fds.get(Integer.parseInt(target));
                        if (stream == null) {
                            throw new RedirectionError(target + ": Bad file descriptor");
                        }
                        fds.set(r.fd(), stream);
                    } else if (r.op().equals(">&")) {
                        OutputStream stream = openOutput(target, HostFs.WriteMode.TRUNCATE, ctx, opened);
                        fds.set(r.fd(), stream);
                        fds.set(2, stream); // bash: >&file sends stdout and stderr there
                    } else {
                        throw new RedirectionError(target + ": Bad file descriptor");
                    }
                }
                default -> { // > >> >|
                    String target = string(r.target(), ctx);
                    HostFs.WriteMode mode = r.op().equals(">>") ? HostFs.WriteMode.APPEND
                            : r.op().equals(">") && ctx.state().noclobber ? HostFs.WriteMode.CREATE_NEW
                            : HostFs.WriteMode.TRUNCATE;
                    fds.set(r.fd(), openOutput(target, mode, ctx, opened));
                }
            }
        }
    }

    private InputStream openInput(String target, Ctx ctx, List<Closeable> opened) throws RedirectionError {
        switch (target) {
            case "/dev/null":
                return InputStream.nullInputStream();
            case "/dev/stdin":
                return ctx.in();
            default:
                break;
        }
        try {
            InputStream s = host.fs().openRead(absolute(target, ctx));
            opened.add(s);
            return s;
        } catch (FsException e) {
            throw new RedirectionError("cannot open " + target + ": " + (e.errno() == FsException.Errno.ENOENT
                    ? "No such file" : e.getMessage()));
        }
    }

    private OutputStream openOutput(String target, HostFs.WriteMode mode, Ctx ctx, List<Closeable> opened)
            throws RedirectionError {
        switch (target) {
            case "/dev/null":
                return OutputStream.nullOutputStream();
            case "/dev/stdout":
                return ctx.out();
            case "/dev/stderr":
            case "/dev/tty":
                return ctx.err();
            default:
                break;
        }
        try {
            OutputStream s = host.fs().openWrite(absolute(target, ctx), mode);
            opened.add(s);
            return s;
        } catch (FsException e) {
            throw new RedirectionError("cannot create " + target + ": " + (e.errno() == FsException.Errno.ENOENT
                    ? "Directory nonexistent" : e.getMessage()));
        }
    }

    private static String absolute(String path, Ctx ctx) {
        if (path.startsWith("/")) {
            return path;
        }
        String cwd = ctx.state().cwd;
        return cwd.equals("/") ? "/" + path : cwd + "/" + path;
    }

    // ---- expansions -------------------------------------------------------------------------------------------

    /** Full expansion of command words: expansions, field splitting, pathname globbing, quote removal. */
    List<String> fields(List<Word> words, Ctx ctx) {
        List<String> result = new ArrayList<>();
        for (Word word : words) {
            Fields fields = new Fields(ifs(ctx));
            for (Part part : word.parts()) {
                expandPart(part, ctx, fields);
            }
            fields.finish();
            for (int i = 0; i < fields.texts.size(); i++) {
                String text = fields.texts.get(i);
                BitSet mask = fields.masks.get(i);
                if (Patterns.hasGlob(text, mask)) {
                    List<String> matches = Glob.expand(host.fs(), ctx.state().cwd, text, mask);
                    if (!matches.isEmpty()) {
                        result.addAll(matches);
                        continue;
                    }
                }
                result.add(text);
            }
        }
        return result;
    }

    private String ifs(Ctx ctx) {
        String ifs = ctx.state().get("IFS");
        return ifs == null ? " \t\n" : ifs;
    }

    private void expandPart(Part part, Ctx ctx, Fields fields) {
        switch (part) {
            case Lit lit -> fields.append(lit.text(), !lit.quoted());
            case Tilde tilde -> fields.append(tilde(tilde, ctx), false);
            case Param p when p.quoted() && p.name().equals("@") && p.op() == null -> {
                List<String> params = ctx.state().positional;
                for (int i = 0; i < params.size(); i++) {
                    if (i > 0) {
                        fields.breakField();
                    }
                    fields.append(params.get(i), false);
                }
            }
            default -> {
                String value = value(part, ctx);
                if (part.quoted()) {
                    fields.append(value, false);
                } else {
                    fields.split(value);
                }
            }
        }
    }

    /** Expansion to one string: no field splitting, no globbing (assignments, redirection targets, case). */
    String string(Word word, Ctx ctx) {
        if (word == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (Part part : word.parts()) {
            switch (part) {
                case Lit lit -> sb.append(lit.text());
                case Tilde tilde -> sb.append(tilde(tilde, ctx));
                default -> sb.append(value(part, ctx));
            }
        }
        return sb.toString();
    }

    /** A pattern word: its text, with the characters that came from unquoted parts marked active. */
    record Pattern(String text, BitSet active) {
    }

    Pattern pattern(Word word, Ctx ctx) {
        StringBuilder sb = new StringBuilder();
        BitSet active = new BitSet();
        for (Part part : word.parts()) {
            String text = switch (part) {
                case Lit lit -> lit.text();
                case Tilde tilde -> tilde(tilde, ctx);
                default -> value(part, ctx);
            };
            if (!part.quoted() && !(part instanceof Tilde)) {
                active.set(sb.length(), sb.length() + text.length());
            }
            sb.append(text);
        }
        return new Pattern(sb.toString(), active);
    }

    private String tilde(Tilde tilde, Ctx ctx) {
        if (tilde.user().isEmpty()) {
            String home = ctx.state().get("HOME");
            return home == null ? "/" : home;
        }
        return tilde.user().equals("root") ? "/root" : "/home/" + tilde.user();
    }

    private String value(Part part, Ctx ctx) {
        return switch (part) {
            case Param p -> param(p, ctx);
            case CommandSub cs -> commandSubstitution(cs, ctx);
            case Arith a -> arithmetic(a, ctx);
            case Lit lit -> lit.text();
            case Tilde tilde -> tilde(tilde, ctx);
        };
    }

    private String lookup(String name, State state) {
        return switch (name) {
            case "?" -> Integer.toString(state.lastStatus);
            case "#" -> Integer.toString(state.positional.size());
            case "$" -> Integer.toString(state.pid);
            case "!" -> state.lastBackgroundPid == 0 ? "" : Integer.toString(state.lastBackgroundPid);
            case "-" -> state.optionFlags();
            case "0" -> state.scriptName;
            case "@", "*" -> String.join(" ", state.positional);
            default -> {
                if (Character.isDigit(name.charAt(0))) {
                    int n = Integer.parseInt(name);
                    yield n <= state.positional.size() ? state.positional.get(n - 1) : null;
                }
                yield state.get(name);
            }
        };
    }

    private String param(Param p, Ctx ctx) {
        State state = ctx.state();
        String name = p.name();
        String value = lookup(name, state);
        String op = p.op();
        if (op == null || op.equals("length") || op.startsWith("%") || op.startsWith("#")) {
            if (value == null && state.nounset && !name.equals("@") && !name.equals("*")) {
                writeErr(ctx, "sh: " + name + ": parameter not set");
                throw new Signals.Exit(2);
            }
        }
        if (op == null) {
            return value == null ? "" : value;
        }
        boolean unsetOrEmpty = value == null || value.isEmpty();
        return switch (op) {
            case "length" -> Integer.toString(value == null ? 0 : value.length());
            case ":-" -> unsetOrEmpty ? string(p.arg(), ctx) : value;
            case "-" -> value == null ? string(p.arg(), ctx) : value;
            case ":=", "=" -> {
                if (op.equals(":=") ? unsetOrEmpty : value == null) {
                    String assigned = string(p.arg(), ctx);
                    state.set(name, assigned);
                    yield assigned;
                }
                yield value;
            }
            case ":+" -> unsetOrEmpty ? "" : string(p.arg(), ctx);
            case "+" -> value == null ? "" : string(p.arg(), ctx);
            case ":?", "?" -> {
                if (op.equals(":?") ? unsetOrEmpty : value == null) {
                    String message = p.arg().parts().isEmpty() ? "parameter not set" : string(p.arg(), ctx);
                    writeErr(ctx, "sh: " + name + ": " + message);
                    throw new Signals.Exit(2);
                }
                yield value;
            }
            default -> removeAffix(value == null ? "" : value, op, pattern(p.arg(), ctx));
        };
    }

    private static String removeAffix(String value, String op, Pattern pattern) {
        java.util.regex.Pattern re = java.util.regex.Pattern.compile(
                Patterns.globToRegex(pattern.text(), pattern.active()), java.util.regex.Pattern.DOTALL);
        int n = value.length();
        switch (op) {
            case "#" -> {
                for (int i = 0; i <= n; i++) {
                    if (re.matcher(value.substring(0, i)).matches()) {
                        return value.substring(i);
                    }
                }
            }
            case "##" -> {
                for (int i = n; i >= 0; i--) {
                    if (re.matcher(value.substring(0, i)).matches()) {
                        return value.substring(i);
                    }
                }
            }
            case "%" -> {
                for (int i = n; i >= 0; i--) {
                    if (re.matcher(value.substring(i)).matches()) {
                        return value.substring(0, i);
                    }
                }
            }
            default -> { // %%
                for (int i = 0; i <= n; i++) {
                    if (re.matcher(value.substring(i)).matches()) {
                        return value.substring(0, i);
                    }
                }
            }
        }
        return value;
    }

    private String commandSubstitution(CommandSub cs, Ctx ctx) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int status;
        try {
            status = execute(cs.body(), new Ctx(ctx.state().copy(), ctx.fds().with(ctx.in(), buffer, ctx.err()), false));
        } catch (Signals.Exit e) {
            status = e.status;
        }
        ctx.state().lastSubstitutionStatus = status;
        ctx.state().lastStatus = status;
        String text = buffer.toString(StandardCharsets.UTF_8);
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\n') {
            end--;
        }
        return text.substring(0, end);
    }

    private String arithmetic(Arith a, Ctx ctx) {
        String text = string(a.expression(), ctx);
        State state = ctx.state();
        try {
            return Long.toString(Arithmetic.eval(text, state::get, state::set));
        } catch (Arithmetic.ArithmeticError e) {
            writeErr(ctx, "sh: " + e.getMessage());
            throw new Signals.Exit(2);
        }
    }

    /** Builds fields from expansion results, splitting unquoted ones on IFS. */
    private static final class Fields {
        final List<String> texts = new ArrayList<>();
        final List<BitSet> masks = new ArrayList<>();
        private final String ifs;
        private StringBuilder current = new StringBuilder();
        private BitSet mask = new BitSet();
        private boolean exists;
        private boolean pendingBreak;

        Fields(String ifs) {
            this.ifs = ifs;
        }

        void append(String text, boolean active) {
            if (pendingBreak) {
                finish();
                pendingBreak = false;
            }
            int start = current.length();
            current.append(text);
            if (active) {
                mask.set(start, start + text.length());
            }
            if (!active || !text.isEmpty()) {
                exists = true;
            }
        }

        /** An unquoted expansion: split at IFS characters. */
        void split(String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (ifs.indexOf(c) >= 0) {
                    if (Character.isWhitespace(c)) {
                        if (exists) {
                            pendingBreak = true;
                        }
                    } else {
                        exists = true;
                        finish();
                        pendingBreak = false;
                    }
                } else {
                    append(String.valueOf(c), true);
                }
            }
        }

        /** Starts a new field even if the current one is empty (between the words of "$@"). */
        void breakField() {
            exists = true;
            finish();
            pendingBreak = false;
        }

        void finish() {
            if (exists) {
                texts.add(current.toString());
                masks.add(mask);
            }
            current = new StringBuilder();
            mask = new BitSet();
            exists = false;
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    static void writeErr(Ctx ctx, String line) {
        try {
            ctx.err().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            ctx.err().flush();
        } catch (IOException e) {
            // stderr is gone: nothing left to tell
        }
    }

    static void flushQuietly(OutputStream out) {
        try {
            out.flush();
        } catch (IOException e) {
            // the reader went away
        }
    }

    static void closeAll(List<Closeable> opened) {
        for (Closeable c : opened) {
            try {
                c.close();
            } catch (IOException e) {
                // closing a file we wrote: the data is in already
            }
        }
    }
}
