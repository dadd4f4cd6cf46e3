package dev.capstan.testkit.fleet.sh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the emulated shell must do, whatever the file system behind it: run by {@link MemoryShellTest} and
 * {@link DiskShellTest}. The expected outputs are what bash/dash and GNU coreutils print.
 */
abstract class ShellContractTest {

    record Result(int status, String out, String err) {
    }

    protected HostFs fs;
    private Shell shell;

    protected abstract HostFs newFs() throws IOException;

    @BeforeEach
    void setUp() throws IOException {
        fs = newFs();
        FileUtilities.mkdirs(fs, "/home/deploy", "/home/deploy");
        shell = newShell();
    }

    private Shell newShell() {
        return new Shell(new Shell.Host("web1", fs, System.currentTimeMillis()),
                Map.of("HOME", "/home/deploy", "USER", "deploy"));
    }

    Result run(String script) {
        return run(script, "");
    }

    Result run(String script, String stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = newShell().run(script, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out, err);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    String out(String script) {
        Result r = run(script);
        assertThat(r.status()).as("status of %s (stderr %s)", script, r.err()).isZero();
        return r.out();
    }

    String read(String path) throws IOException {
        try (InputStream in = fs.openRead(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    void write(String path, String content) throws IOException {
        try (OutputStream out = fs.openWrite(path, HostFs.WriteMode.TRUNCATE)) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
    }

    // ---- words, quoting, lists ----

    @Test
    void echoJoinsWordsAndQuotingKeepsSpaces() {
        assertThat(out("echo hi")).isEqualTo("hi\n");
        assertThat(out("echo  a   b")).isEqualTo("a b\n");
        assertThat(out("echo 'a   b' \"c  d\" e\\ \\ f")).isEqualTo("a   b c  d e  f\n");
        assertThat(out("echo \"it's\" 'say \"x\"' \"\\$HOME\\\\\"")).isEqualTo("it's say \"x\" $HOME\\\n");
        assertThat(out("echo -n no-newline; echo")).isEqualTo("no-newline\n");
        assertThat(out("echo -e 'a\\tb'; echo 'a\\tb'")).isEqualTo("a\tb\na\\tb\n");
        assertThat(out("echo ''")).isEqualTo("\n");
    }

    @Test
    void sequencesAndConditionalsFollowExitStatuses() {
        assertThat(out("echo a; echo b")).isEqualTo("a\nb\n");
        assertThat(out("true && echo yes; false && echo no; false || echo rescued")).isEqualTo("yes\nrescued\n");
        assertThat(out("true || echo skipped; echo after")).isEqualTo("after\n");
        assertThat(out("false; echo $?; true; echo $?")).isEqualTo("1\n0\n");
        assertThat(out("! false && echo negated")).isEqualTo("negated\n");
        assertThat(run("false").status()).isEqualTo(1);
        assertThat(run("exit 3").status()).isEqualTo(3);
        assertThat(run("echo before; exit 42; echo after")).isEqualTo(new Result(42, "before\n", ""));
        assertThat(run("false && true").status()).isEqualTo(1);
        assertThat(out("{ echo a; echo b; } | wc -l")).isEqualTo("2\n");
    }

    @Test
    void variablesAndExpansions() {
        assertThat(out("x=1; y=\"$x two\"; echo \"$y\" ${x}0 ${unset:-dflt} ${x:+set} ${#y}")).isEqualTo("1 two 10 dflt set 5\n");
        assertThat(out("p=/srv/app/releases/20240101.tar.gz; echo ${p##*/} ${p%%.*} ${p#/} ${p%.gz}"))
                .isEqualTo("20240101.tar.gz /srv/app/releases/20240101 srv/app/releases/20240101.tar.gz /srv/app/releases/20240101.tar\n");
        assertThat(out("echo $((1 + 2 * 3)) $(( (7 - 1) / 4 )) $((10 % 3))")).isEqualTo("7 1 1\n");
        assertThat(out("i=0; i=$((i+1)); echo $i")).isEqualTo("1\n");
        assertThat(out("echo \"$(echo nested \"$(echo deeper)\")\" `echo back`")).isEqualTo("nested deeper back\n");
        assertThat(out("x='a  b'; for w in $x; do echo \"[$w]\"; done")).isEqualTo("[a]\n[b]\n");
        assertThat(out("set -- one 'two three'; echo $#; for a in \"$@\"; do echo \"<$a>\"; done"))
                .isEqualTo("2\n<one>\n<two three>\n");
        assertThat(out("echo ~ ~/x")).isEqualTo("/home/deploy /home/deploy/x\n");
        assertThat(out("FOO=bar printenv FOO; echo \"[${FOO}]\"")).isEqualTo("bar\n[]\n");
        assertThat(out("export A=1; sh -c 'echo $A $0 $1' name arg")).isEqualTo("1 name arg\n");
    }

    @Test
    void compoundCommands() {
        assertThat(out("if [ -d /tmp ]; then echo dir; elif true; then echo no; else echo no; fi")).isEqualTo("dir\n");
        assertThat(out("if false; then echo no; else echo else; fi")).isEqualTo("else\n");
        assertThat(out("i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done")).isEqualTo("0\n1\n2\n");
        assertThat(out("i=0; until [ $i -ge 2 ]; do i=$((i+1)); done; echo $i")).isEqualTo("2\n");
        assertThat(out("for x in a b c; do [ $x = b ] && continue; echo $x; done")).isEqualTo("a\nc\n");
        assertThat(out("for x in 1 2 3; do echo $x; break; done")).isEqualTo("1\n");
        assertThat(out("case release-1 in rel*) echo r;; *) echo other;; esac")).isEqualTo("r\n");
        assertThat(out("case x in a|b) echo ab;; *) echo star;; esac")).isEqualTo("star\n");
        assertThat(out("f() { echo \"f:$1:$#\"; return 3; }; f a b; echo $?")).isEqualTo("f:a:2\n3\n");
        assertThat(out("x=1; (x=2; echo $x); echo $x")).isEqualTo("2\n1\n");
        assertThat(out("printf '%s\\n' a b | while read l; do echo \"got $l\"; done")).isEqualTo("got a\ngot b\n");
        assertThat(out("cat <<EOF\nhello $USER\nEOF\ncat <<'EOF'\nraw $USER\nEOF")).isEqualTo("hello deploy\nraw $USER\n");
    }

    @Test
    void setEStopsAtTheFirstFailureOutsideConditions() {
        assertThat(run("set -e; echo a; false; echo b")).isEqualTo(new Result(1, "a\n", ""));
        assertThat(out("set -e; false || echo ok; if false; then :; fi; ! true; echo still")).isEqualTo("ok\nstill\n");
        assertThat(run("set -e; true && false; echo never").status()).isEqualTo(1);
    }

    @Test
    void syntaxErrorsAndUnknownCommands() {
        Result r = run("if true; then echo x");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("Syntax error").contains("fi");
        assertThat(run("echo )").status()).isEqualTo(2);
        Result unknown = run("frobnicate --all");
        assertThat(unknown.status()).isEqualTo(127);
        assertThat(unknown.err()).isEqualTo("capstan-fleet: command not supported: frobnicate\n");
        assertThat(out("command -v tar; command -v cd; command -v git || echo none")).isEqualTo("/usr/bin/tar\ncd\nnone\n");
        assertThat(out("/bin/echo via-path; /usr/bin/true && echo ok")).isEqualTo("via-path\nok\n");
    }

    // ---- redirections ----

    @Test
    void redirections() throws IOException {
        assertThat(out("echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f")).isEqualTo("one\ntwo\n");
        assertThat(read("/tmp/f")).isEqualTo("one\ntwo\n");
        Result r = run("echo to-err >&2; echo to-out");
        assertThat(r.out()).isEqualTo("to-out\n");
        assertThat(r.err()).isEqualTo("to-err\n");
        assertThat(run("cat /missing 2>/dev/null")).isEqualTo(new Result(1, "", ""));
        assertThat(run("cat /missing 2>&1").out()).isEqualTo("cat: /missing: No such file or directory\n");
        assertThat(run("cat /missing 2>&1 >/dev/null").out()).isEqualTo("cat: /missing: No such file or directory\n");
        assertThat(out("{ echo a; echo b >&2; } > /tmp/both 2>&1; cat /tmp/both")).isEqualTo("a\nb\n");
        assertThat(out("tr a-z A-Z < /tmp/f")).isEqualTo("ONE\nTWO\n");
        Result noDir = run("echo x > /nope/file");
        assertThat(noDir.status()).isEqualTo(2);
        assertThat(noDir.err()).contains("cannot create /nope/file: Directory nonexistent");
        assertThat(run("cat", "from stdin").out()).isEqualTo("from stdin");
        assertThat(out("cat - < /tmp/f | head -n 1")).isEqualTo("one\n");
    }

    @Test
    void descriptorsAboveTwoAndExecRedirectionsThatStay() throws IOException {
        Result kept = run("exec 3>&2 2>/dev/null; echo to3 >&3; echo gone >&2; echo out");
        assertThat(kept).isEqualTo(new Result(0, "out\n", "to3\n"));
        Result closed = run("exec 3>&1; echo a >&3; exec 3>&-; echo b >&3; echo st=$?");
        assertThat(closed.out()).isEqualTo("a\nst=2\n");
        assertThat(closed.err()).contains("3: Bad file descriptor");
        assertThat(out("if true; then exec 3>&1; fi; echo x >&3")).isEqualTo("x\n");
        assertThat(out("exec 4>/tmp/four; echo one >&4; echo two >&4; cat /tmp/four")).isEqualTo("one\ntwo\n");
        // a command's own redirections end with it; a subshell's exec stays in the subshell
        assertThat(run("echo a 3>&1 >&3; echo b >&3").out()).isEqualTo("a\n");
        assertThat(run("(exec 3>&1); echo b >&3").err()).contains("3: Bad file descriptor");
        Result job = run("exec 3>&2; sh -c 'echo from-job >&3' 2>&3 3>&- & wait $!; echo st=$?");
        assertThat(job.out()).isEqualTo("st=2\n");
        assertThat(job.err()).contains("3: Bad file descriptor");
    }

    @Test
    void waitForAJobGivesItsExitStatus() {
        assertThat(out("(exit 7) & wait $!; echo $?")).isEqualTo("7\n");
        assertThat(out("sh -c 'sleep 0.05; exit 5' & p=$!; echo started; wait $p; echo $?")).isEqualTo("started\n5\n");
        assertThat(out("false & true & wait; echo $?")).isEqualTo("0\n");
        Result unknown = run("wait 99999");
        assertThat(unknown.status()).isEqualTo(127);
        assertThat(unknown.err()).contains("99999");
    }

    @Test
    void execShReadsItsCommandsFromStdinOneAtATime() {
        // each command runs as soon as it has been read: a later line that cannot parse does not stop the earlier ones
        assertThat(run("exec sh", "echo a\nexit 4\necho never\n")).isEqualTo(new Result(4, "a\n", ""));
        assertThat(run("exec /bin/sh", "x=1\nif [ $x = 1 ]; then\n  echo one\nfi\necho 'open\n")).satisfies(r -> {
            assertThat(r.out()).isEqualTo("one\n");
            assertThat(r.err()).contains("Syntax error");
        });
        assertThat(run("exec 3>&1; exec sh", "echo kept >&3\n").out()).isEqualTo("kept\n");
    }

    @Test
    void noclobberMakesCreationExclusive() throws IOException {
        String lock = "( set -C; printf '%s\\n' holder > /tmp/lock ) 2>/dev/null";
        assertThat(run(lock).status()).isZero();
        assertThat(run(lock).status()).isNotZero();
        assertThat(read("/tmp/lock")).isEqualTo("holder\n");
    }

    // ---- test ----

    @Test
    void testAndBrackets() throws IOException {
        fs.mkdir("/srv");
        write("/srv/full", "x");
        write("/srv/empty", "");
        String script = "for t in '-d /srv' '-f /srv/full' '-e /srv/none' '-s /srv/full' '-s /srv/empty' '-w /srv/full'"
                + " '-z \"\"' '-n x' 'a = a' 'a != a' '3 -lt 10' '3 -gt 10' '! -d /srv/full' '-d /srv -a -f /srv/full'"
                + " '-f /srv/none -o -d /srv'; do eval \"[ $t ]\" && echo 1 || echo 0; done";
        assertThat(out(script)).isEqualTo("1\n1\n0\n1\n0\n1\n1\n1\n1\n0\n1\n0\n1\n1\n1\n");
        assertThat(out("test -f /srv/full && echo file")).isEqualTo("file\n");
        assertThat(run("[ -f /srv/full").status()).isEqualTo(2);
        assertThat(run("[ 1 -eq x ]").status()).isEqualTo(2);
    }

    // ---- file utilities ----

    @Test
    void mkdirCreatesParentsOnlyWithP() {
        Result r = run("mkdir /a/b");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("mkdir: cannot create directory '/a/b': No such file or directory\n");
        assertThat(out("mkdir -p /a/b/c && mkdir -p /a/b/c && test -d /a/b/c && echo ok")).isEqualTo("ok\n");
        assertThat(run("mkdir /a").err()).isEqualTo("mkdir: cannot create directory '/a': File exists\n");
        assertThat(out("cd /a && mkdir -p rel/dir && ls -1")).isEqualTo("b\nrel\n");
    }

    @Test
    void symlinksReadlinkAndAtomicSwitchWithMvT() throws IOException {
        String setup = "mkdir -p /srv/app/releases/1 /srv/app/releases/2 && echo r1 > /srv/app/releases/1/REVISION"
                + " && echo r2 > /srv/app/releases/2/REVISION";
        out(setup);
        assertThat(out("ln -s /srv/app/releases/1 /srv/app/current && readlink /srv/app/current"))
                .isEqualTo("/srv/app/releases/1\n");
        assertThat(out("cat /srv/app/current/REVISION")).isEqualTo("r1\n");
        // the deploy recipe's switch: a temporary link moved over current in one rename
        assertThat(out("ln -sfn /srv/app/releases/2 /srv/app/current.tmp && mv -T /srv/app/current.tmp /srv/app/current"
                + " && readlink /srv/app/current && cat /srv/app/current/REVISION")).isEqualTo("/srv/app/releases/2\nr2\n");
        assertThat(fs.lstat("/srv/app/current.tmp")).isNull();
        // without -T, mv moves into the directory the link points to
        out("ln -s /srv/app/releases/1 /srv/app/other && mv /srv/app/other /srv/app/current");
        assertThat(fs.lstat("/srv/app/releases/2/other").isSymlink()).isTrue();
        assertThat(out("ln -sfn /srv/app/releases/1 /srv/app/current && basename \"$(readlink /srv/app/current)\""))
                .isEqualTo("1\n");
        assertThat(run("readlink /srv/app/releases").status()).isEqualTo(1);
        assertThat(out("readlink -f /srv/app/current/REVISION")).isEqualTo("/srv/app/releases/1/REVISION\n");
        assertThat(out("cd /srv/app/current && pwd && pwd -P && cd .. && pwd")).isEqualTo("/srv/app/current\n/srv/app/releases/1\n/srv/app\n");
        Result exists = run("ln -s /x /srv/app/current/REVISION");
        assertThat(exists.status()).isEqualTo(1);
        assertThat(exists.err()).isEqualTo("ln: failed to create symbolic link '/srv/app/current/REVISION': File exists\n");
        assertThat(out("ln -s /x /srv/app/current && readlink /srv/app/releases/1/x")).isEqualTo("/x\n"); // into the dir
        assertThat(out("ln -s ../shared relative && readlink relative")).isEqualTo("../shared\n");
    }

    @Test
    void mvReplacesFilesAndRefusesNonEmptyDirectories() {
        out("mkdir -p /d/a /d/b/x && echo 1 > /d/f1 && echo 2 > /d/f2");
        assertThat(out("mv /d/f1 /d/f2 && cat /d/f2 && ls /d")).isEqualTo("1\na\nb\nf2\n");
        Result r = run("mv -T /d/a /d/b");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("mv: cannot move '/d/a' to '/d/b': Directory not empty\n");
        assertThat(out("mv /d/a /d/b && ls /d/b")).isEqualTo("a\nx\n");
        assertThat(run("mv /d/none /d/b").err()).isEqualTo("mv: cannot stat '/d/none': No such file or directory\n");
        assertThat(out("mv /d/b /d/c && ls -1 /d/c/a /d/c")).isEqualTo("/d/c:\na\nx\n\n/d/c/a:\n");
    }

    @Test
    void rmRemovesTreesAndGlobsExpand() {
        out("mkdir -p /r/keep /r/.upload-1 && touch /r/.upload-2 /r/a.log /r/b.log /r/keep/x");
        assertThat(out("cd /r && echo *.log && echo .upload-* && echo none-*")).isEqualTo("a.log b.log\n.upload-1 .upload-2\nnone-*\n");
        assertThat(out("rm -rf /r/.upload-* /r/*.log && ls -A /r")).isEqualTo("keep\n");
        assertThat(run("rm /r/keep").err()).isEqualTo("rm: cannot remove '/r/keep': Is a directory\n");
        assertThat(run("rm /r/nothing").status()).isEqualTo(1);
        assertThat(run("rm -f /r/nothing")).isEqualTo(new Result(0, "", ""));
        assertThat(run("rm -rf /").err()).contains("dangerous");
        assertThat(out("rm -r /r && test -e /r || echo gone")).isEqualTo("gone\n");
    }

    @Test
    void lsListsSortedAndMarksWhatItIs() {
        out("mkdir -p /l/dir && touch /l/b /l/a /l/.hidden && ln -s /l/a /l/link");
        assertThat(out("ls /l")).isEqualTo("a\nb\ndir\nlink\n");
        assertThat(out("ls -1 /l")).isEqualTo("a\nb\ndir\nlink\n");
        assertThat(out("ls -a /l")).isEqualTo(".\n..\n.hidden\na\nb\ndir\nlink\n");
        assertThat(out("ls -F /l")).isEqualTo("a\nb\ndir/\nlink@\n");
        assertThat(out("ls -d /l/dir /l/a")).isEqualTo("/l/a\n/l/dir\n");
        assertThat(out("ls -r /l")).isEqualTo("link\ndir\nb\na\n");
        assertThat(out("ls -l /l | tail -n 1")).startsWith("lrwxrwxrwx 1 deploy deploy").endsWith("link -> /l/a\n");
        Result missing = run("ls /none");
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("ls: cannot access '/none': No such file or directory\n");
    }

    @Test
    void cpTouchCatAndFriends() throws IOException {
        out("mkdir -p /c/src/sub && echo data > /c/src/sub/f && ln -s f /c/src/sub/l");
        assertThat(out("cp -a /c/src /c/dst && cat /c/dst/sub/f && readlink /c/dst/sub/l")).isEqualTo("data\nf\n");
        assertThat(run("cp /c/src /c/x").err()).isEqualTo("cp: -r not specified; omitting directory '/c/src'\n");
        assertThat(out("cp /c/src/sub/f /c/copy && cat /c/copy")).isEqualTo("data\n");
        assertThat(out("touch /c/new && test -f /c/new && ! test -s /c/new && echo empty")).isEqualTo("empty\n");
        assertThat(out("printf '%s=%d\\n' a 1 b 2 | tee /c/tee")).isEqualTo("a=1\nb=2\n");
        assertThat(read("/c/tee")).isEqualTo("a=1\nb=2\n");
        assertThat(out("echo hi | sha256sum")).isEqualTo(
                "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4  -\n");
        assertThat(out("stat -c '%s %F' /c/copy")).isEqualTo("5 regular file\n");
        assertThat(out("chmod 755 /c/copy && stat -c %a /c/copy && chmod g-x,o-rx /c/copy && stat -c %a /c/copy"))
                .isEqualTo("755\n740\n");
    }

    @Test
    void tarExtractsGzippedArchives() throws IOException {
        out("mkdir -p /pack/app/bin && echo main > /pack/app/bin/run && ln -s bin/run /pack/app/run"
                + " && tar czf /tmp/app.tar.gz -C /pack app");
        assertThat(out("tar tzf /tmp/app.tar.gz")).isEqualTo("app/\napp/bin/\napp/bin/run\napp/run\n");
        assertThat(out("mkdir -p /rel && tar xzf /tmp/app.tar.gz -C /rel --strip-components=1 && cat /rel/bin/run"
                + " && readlink /rel/run")).isEqualTo("main\nbin/run\n");
        Result bad = run("echo garbage > /tmp/bad.tgz && tar xzf /tmp/bad.tgz");
        assertThat(bad.status()).isEqualTo(2);
        assertThat(run("tar xzf /tmp/none.tgz").err()).contains("Cannot open");
    }

    @Test
    void tarReadsArchivesMadeByOtherTools() throws IOException {
        // a one-file ustar archive built by hand, as GNU tar writes it
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        byte[] header = new byte[512];
        byte[] name = "hello.txt".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, header, 0, name.length);
        putOctal(header, 100, 8, 0644);
        putOctal(header, 124, 12, 6);
        putOctal(header, 136, 12, 1_700_000_000L);
        header[156] = '0';
        System.arraycopy("ustar  \0".getBytes(StandardCharsets.US_ASCII), 0, header, 257, 8);
        tar.write(header);
        byte[] data = new byte[512];
        System.arraycopy("hello\n".getBytes(StandardCharsets.US_ASCII), 0, data, 0, 6);
        tar.write(data);
        tar.write(new byte[1024]);
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(tar.toByteArray());
        }
        try (OutputStream out = fs.openWrite("/tmp/h.tgz", HostFs.WriteMode.TRUNCATE)) {
            out.write(gz.toByteArray());
        }
        assertThat(out("cd /tmp && tar -xzvf h.tgz && cat hello.txt")).isEqualTo("hello.txt\nhello\n");
    }

    private static void putOctal(byte[] h, int off, int len, long value) {
        String s = String.format("%0" + (len - 1) + "o", value);
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
    }

    // ---- text utilities ----

    @Test
    void textFilters() {
        String releases = "printf '%s\\n' 20240103000000 20240101000000 junk 20240102000000";
        assertThat(out(releases + " | grep -E '^[0-9]{14}$' | sort")).isEqualTo("20240101000000\n20240102000000\n20240103000000\n");
        assertThat(out(releases + " | grep -E '^[0-9]{14}$' | sort -r | tail -n +2")).isEqualTo("20240102000000\n20240101000000\n");
        assertThat(out(releases + " | head -n 2")).isEqualTo("20240103000000\n20240101000000\n");
        assertThat(out(releases + " | grep -c 2024; " + releases + " | grep -v 2024")).isEqualTo("3\njunk\n");
        assertThat(run("echo a | grep -q b").status()).isEqualTo(1);
        assertThat(out("echo 'a b c' | cut -d' ' -f2-")).isEqualTo("b c\n");
        assertThat(out("printf 'b\\na\\nb\\n' | sort | uniq -c")).isEqualTo("      1 a\n      2 b\n");
        assertThat(out("printf 'x\\ny\\n' | wc -l")).isEqualTo("2\n");
        assertThat(out("seq 3; seq 2 2 6")).isEqualTo("1\n2\n3\n2\n4\n6\n");
        assertThat(out("basename /a/b/c.txt .txt; dirname /a/b/c.txt; basename /; dirname file")).isEqualTo("c\n/a/b\n/\n.\n");
        assertThat(out("echo hello world | sed 's/o/0/g; s/^h/H/'")).isEqualTo("Hell0 w0rld\n");
        assertThat(out("printf '1\\n2\\n3\\n' | sed -n '2p'")).isEqualTo("2\n");
        assertThat(out("printf '%05.1f|%-4s|%3d|%x\\n' 3.14159 ab 7 255")).isEqualTo("003.1|ab  |  7|ff\n");
        assertThat(out("echo ab | tr -d b; echo aab | tr -s a")).isEqualTo("a\nab\n");
    }

    @Test
    void awkSubsetForTheRollbackScript() {
        String list = "printf '%s\\n' 20240101000000 20240102000000 20240103000000";
        assertThat(out(list + " | awk -v c=20240103000000 '$0 < c'")).isEqualTo("20240101000000\n20240102000000\n");
        assertThat(out("echo 'a b c' | awk '{print $2, NF}'")).isEqualTo("b 3\n");
        assertThat(out("printf '1\\n2\\n3\\n' | awk '{ s += $1 } END { print s }'")).isEqualTo("6\n");
        assertThat(out("echo x:y | awk -F: 'NR == 1 { print $2 \"!\" }'")).isEqualTo("y!\n");
        assertThat(out("printf 'a\\nbb\\n' | awk 'length($0) > 1'")).isEqualTo("bb\n");
    }

    // ---- the deploy recipe's scripts, as capstan sends them ----

    @Test
    void deployLockScriptTakesTheLockOnceAndNamesTheHolder() {
        String acquire = "mkdir -p /srv/shop && i=0; while ! ( set -C; printf '%s\\n' 'tok1 deploy@ci since now' >"
                + " /srv/shop/deploy.lock ) 2>/dev/null; do if [ $i -ge 0 ]; then echo \"locked by $(cut -d' ' -f2-"
                + " /srv/shop/deploy.lock 2>/dev/null)\" >&2; exit 3; fi; sleep 1; i=$((i+1)); done";
        assertThat(run(acquire)).isEqualTo(new Result(0, "", ""));
        assertThat(run(acquire)).isEqualTo(new Result(3, "", "locked by deploy@ci since now\n"));
        String release = "if [ -f /srv/shop/deploy.lock ] && [ \"$(cut -d' ' -f1 /srv/shop/deploy.lock)\" = tok1 ];"
                + " then rm -f /srv/shop/deploy.lock; fi";
        assertThat(run(release).status()).isZero();
        assertThat(fs.stat("/srv/shop/deploy.lock")).isNull();
    }

    @Test
    void deployCheckCleanupAndReleasesScripts() {
        out("mkdir -p /srv/shop/releases /srv/shop/shared/log");
        String check = "m=0; miss() { echo \"missing: $*\" >&2; m=1; }; if [ ! -d /srv/shop/releases ]; then miss"
                + " directory /srv/shop/releases '(run deploy:setup)'; elif [ ! -w /srv/shop/releases ]; then miss write"
                + " permission on /srv/shop/releases; fi; [ -d /srv/shop/shared/log ] || miss linked dir"
                + " /srv/shop/shared/log; [ -e /srv/shop/shared/config.yml ] || miss linked file /srv/shop/shared/config.yml;"
                + " command -v tar >/dev/null || miss 'a tool the copy strategy needs: command -v tar >/dev/null'; exit $m";
        assertThat(run(check)).isEqualTo(new Result(1, "", "missing: linked file /srv/shop/shared/config.yml\n"));
        for (String r : new String[] {"20240101000000", "20240102000000", "20240103000000", "20240104000000"}) {
            out("mkdir -p /srv/shop/releases/" + r + " && printf '%s\\n' rev-" + r + " > /srv/shop/releases/" + r
                    + "/REVISION");
        }
        out("mkdir -p /srv/shop/releases/20240105000000 && touch /srv/shop/releases/.upload-x"); // half-made
        out("ln -sfn /srv/shop/releases/20240104000000 /srv/shop/current");
        String cleanup = "cd /srv/shop/releases 2>/dev/null || exit 0; c=$(basename \"$(readlink /srv/shop/current)\");"
                + " for r in $(ls -1 | grep -E '^[0-9]{14}$'); do if [ \"$r\" != \"$c\" ] && [ ! -f \"$r/REVISION\" ];"
                + " then rm -rf \"$r\" && echo \"removed half-made release $r\"; fi; done; for r in $(ls -1 | grep -E"
                + " '^[0-9]{14}$' | sort -r | tail -n +3); do if [ \"$r\" != \"$c\" ]; then rm -rf \"$r\" && echo"
                + " \"removed old release $r\"; fi; done; rm -f .upload-* 2>/dev/null; true";
        assertThat(out(cleanup)).isEqualTo("removed half-made release 20240105000000\n"
                + "removed old release 20240102000000\nremoved old release 20240101000000\n");
        String releases = "c=$(basename \"$(readlink /srv/shop/current 2>/dev/null)\"); for r in $(ls -1"
                + " /srv/shop/releases 2>/dev/null | grep -E '^[0-9]{14}$' | sort); do m=' '; [ \"$r\" = \"$c\" ] &&"
                + " m='*'; s=''; [ -f /srv/shop/releases/$r/REVISION ] || s=' (incomplete)'; [ -f"
                + " /srv/shop/releases/$r/BAD_RELEASE ] && s=' (rolled back)'; echo \"$m $r $(cat"
                + " /srv/shop/releases/$r/REVISION 2>/dev/null)$s\"; done";
        assertThat(out(releases)).isEqualTo("  20240103000000 rev-20240103000000\n* 20240104000000 rev-20240104000000\n");
    }

    @Test
    void deployRollbackScriptSwitchesToThePreviousCompleteRelease() throws IOException {
        for (String r : new String[] {"20240101000000", "20240102000000", "20240103000000"}) {
            out("mkdir -p /srv/shop/releases/" + r + " && echo " + r + " > /srv/shop/releases/" + r + "/REVISION");
        }
        out("ln -sfn /srv/shop/releases/20240103000000 /srv/shop/current");
        String releases = "/srv/shop/releases";
        String rollback = "c=$(basename \"$(readlink /srv/shop/current)\"); t=$(ls -1 " + releases + " | grep -E"
                + " '^[0-9]{14}$' | sort | awk -v c=\"$c\" '$0 < c' | while read r; do [ -f " + releases + "/$r/REVISION ]"
                + " && [ ! -f " + releases + "/$r/BAD_RELEASE ] && echo $r; done | tail -n 1); if [ -z \"$t\" ]; then echo"
                + " \"no earlier complete release to roll back to (current: ${c:-none})\" >&2; exit 1; fi; if [ -n \"$c\" ]"
                + " && [ \"$c\" != \"$t\" ]; then printf '%s\\n' 'rolled back' > " + releases + "/$c/BAD_RELEASE; fi;"
                + " ln -sfn " + releases + "/$t /srv/shop/current.tmp-x && mv -T /srv/shop/current.tmp-x /srv/shop/current"
                + " && echo \"current: $c -> $t\"";
        assertThat(out(rollback)).isEqualTo("current: 20240103000000 -> 20240102000000\n");
        assertThat(read(releases + "/20240103000000/BAD_RELEASE")).isEqualTo("rolled back\n");
        assertThat(out(rollback)).isEqualTo("current: 20240102000000 -> 20240101000000\n");
        Result none = run(rollback);
        assertThat(none.status()).isEqualTo(1);
        assertThat(none.err()).isEqualTo("no earlier complete release to roll back to (current: 20240101000000)\n");
    }

    @Test
    void deploySymlinkScriptRecordsThePreviousRelease() throws IOException {
        out("mkdir -p /srv/shop/releases/1 /srv/shop/releases/2 /srv/shop/shared/log && echo a > /srv/shop/releases/2/REVISION");
        out("ln -sfn /srv/shop/releases/1 /srv/shop/current");
        String link = "set -e; mkdir -p /srv/shop/releases/2; rm -rf /srv/shop/releases/2/log; ln -s /srv/shop/shared/log"
                + " /srv/shop/releases/2/log; printf '%s\\n' abc > /srv/shop/releases/2/REVISION";
        out(link);
        String symlink = "test -f /srv/shop/releases/2/REVISION && { readlink /srv/shop/current >"
                + " /srv/shop/releases/2/.previous || true; } && ln -sfn /srv/shop/releases/2 /srv/shop/current.tmp-2 && mv -T"
                + " /srv/shop/current.tmp-2 /srv/shop/current";
        out(symlink);
        assertThat(read("/srv/shop/releases/2/.previous")).isEqualTo("/srv/shop/releases/1\n");
        assertThat(out("readlink /srv/shop/current; test -d /srv/shop/current/log && echo linked")).isEqualTo("/srv/shop/releases/2\nlinked\n");
        String undo = "if [ -s /srv/shop/releases/2/.previous ]; then ln -sfn \"$(cat /srv/shop/releases/2/.previous)\""
                + " /srv/shop/current.tmp-2 && mv -T /srv/shop/current.tmp-2 /srv/shop/current; else rm -f /srv/shop/current; fi";
        out(undo);
        assertThat(out("readlink /srv/shop/current")).isEqualTo("/srv/shop/releases/1\n");
    }

    @Test
    void exportedEnvironmentAndSudo() {
        assertThat(out("export RAILS_ENV=production; echo $RAILS_ENV")).isEqualTo("production\n");
        assertThat(out("sudo -p '[capstan] sudo password: ' -u root whoami")).isEqualTo("deploy\n");
        assertThat(out("hostname; uname -s; id -un")).isEqualTo("web1\nLinux\ndeploy\n");
        assertThat(out("sleep 0.01 && echo slept")).isEqualTo("slept\n");
        assertThat(out("date +%Y | grep -cE '^[0-9]{4}$'")).isEqualTo("1\n");
        assertThat(run("timeout 0.05 sleep 5").status()).isEqualTo(124);
    }

    @Test
    void scriptsOnTheHostRunWhenExecutable() throws IOException {
        write("/home/deploy/spin", "#!/bin/sh\necho \"spinning $1\"\nexit 4\n");
        assertThat(run("./spin").status()).isEqualTo(126);
        assertThat(run("chmod +x spin && ./spin web")).isEqualTo(new Result(4, "spinning web\n", ""));
        write("/home/deploy/py", "#!/usr/bin/env python3\nprint(1)\n");
        assertThat(run("chmod +x py && ./py").status()).isEqualTo(127);
        assertThat(run("./absent").status()).isEqualTo(127);
    }
}
