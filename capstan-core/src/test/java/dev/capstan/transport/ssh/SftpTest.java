package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.capstan.Server;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransferListener;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.TransportException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Uploads and downloads over SFTP: contents, directory trees, permissions, progress and failures. */
class SftpTest {

    @TempDir
    static Path home;

    private static SshTestFleet fleet;
    private static SshTransport ssh;
    private static SshTestHost host;
    private static Server server;

    @TempDir
    Path local;

    @BeforeAll
    static void start() throws Exception {
        fleet = SshTestFleet.start(1);
        ssh = new SshTransport(Fixtures.forFleet(fleet, home).settings(), EventSink.NONE, PassphrasePrompt.NONE);
        host = fleet.host(0);
        server = Fixtures.server(host);
    }

    @AfterAll
    static void stop() {
        ssh.close();
        fleet.close();
    }

    @Test
    void uploadsAndDownloadsADirectoryTreeKeepingModes() throws Exception {
        Path tree = local.resolve("app");
        write(tree.resolve("bin/run.sh"), "#!/bin/sh\necho run\n", "rwxr-xr-x");
        write(tree.resolve("config/secret.yml"), "password: x\n", "rw-------");
        write(tree.resolve("config/deep/app.yml"), "name: shop\n", "rw-r--r--");
        Files.createDirectories(tree.resolve("empty"));

        ssh.upload(server, tree, "release", null, TransferListener.IGNORE);

        Path remote = host.root().resolve("release");
        assertThat(Files.readString(remote.resolve("config/deep/app.yml"))).isEqualTo("name: shop\n");
        assertThat(mode(remote.resolve("bin/run.sh"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(remote.resolve("config/secret.yml"))).isEqualTo("rw-------");
        assertThat(remote.resolve("empty")).isEmptyDirectory();

        Path back = local.resolve("back");
        ssh.download(server, "release", back, TransferListener.IGNORE);

        assertThat(Files.readString(back.resolve("bin/run.sh"))).isEqualTo("#!/bin/sh\necho run\n");
        assertThat(mode(back.resolve("bin/run.sh"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(back.resolve("config/secret.yml"))).isEqualTo("rw-------");
        assertThat(Files.readString(back.resolve("config/deep/app.yml"))).isEqualTo("name: shop\n");
        assertThat(back.resolve("empty")).isEmptyDirectory();
    }

    @Test
    void uploadsTwentyMegabytesIntact() throws Exception {
        byte[] content = new byte[20 * 1024 * 1024];
        new Random(42).nextBytes(content);
        Path file = Files.write(local.resolve("big.bin"), content);
        List<long[]> progress = new CopyOnWriteArrayList<>();

        ssh.upload(server, file, "big.bin", null, (s, path, done, total) -> progress.add(new long[] {done, total}));

        assertThat(sha256(Files.readAllBytes(host.root().resolve("big.bin")))).isEqualTo(sha256(content));
        assertThat(progress).hasSizeGreaterThan(10);
        assertThat(progress.getLast()).containsExactly(content.length, content.length);
        assertThat(progress).allMatch(p -> p[1] == content.length && p[0] <= p[1]);
    }

    @Test
    void aDirectoryUploadedOntoAnExistingOneFillsIt() throws Exception {
        Files.createDirectories(host.root().resolve("current/old"));
        Path tree = local.resolve("build");
        write(tree.resolve("new.txt"), "new\n", "rw-r--r--");

        ssh.upload(server, tree, "current", null, TransferListener.IGNORE);

        assertThat(host.root().resolve("current/new.txt")).hasContent("new");
        assertThat(host.root().resolve("current/old")).isDirectory();
        assertThat(host.root().resolve("current/build")).doesNotExist();
    }

    @Test
    void aFileUploadedOntoADirectoryGoesInsideIt() throws Exception {
        Files.createDirectories(host.root().resolve("shared"));
        Path file = Files.writeString(local.resolve("notes.txt"), "notes");

        ssh.upload(server, file, "shared", 0640, TransferListener.IGNORE);

        assertThat(Files.readString(host.root().resolve("shared/notes.txt"))).isEqualTo("notes");
        assertThat(mode(host.root().resolve("shared/notes.txt"))).isEqualTo("rw-r-----");
    }

    @Test
    void aFileUploadedOverAnotherReplacesItKeepingItsModeAndLeavingNoPartFile() throws Exception {
        Path dir = Files.createDirectories(host.root().resolve("replace"));
        write(dir.resolve("app.conf"), "port=80\n", "rw-r-----");
        Path file = Files.writeString(local.resolve("app.conf"), "port=8080\n");

        ssh.upload(server, file, "replace/app.conf", null, TransferListener.IGNORE);
        ssh.put(server, "x=1\n".getBytes(), "replace/put.conf", null);
        ssh.put(server, "x=2\n".getBytes(), "replace/put.conf", null);

        assertThat(dir.resolve("app.conf")).hasContent("port=8080");
        assertThat(mode(dir.resolve("app.conf"))).isEqualTo(mode(file)); // the local file's mode, as before
        assertThat(dir.resolve("put.conf")).hasContent("x=2");
        try (var names = Files.list(dir)) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("app.conf", "put.conf");
        }
    }

    @Test
    void putOverAFileKeepsItsModeWhenNoneIsGiven() throws Exception {
        Path dir = Files.createDirectories(host.root().resolve("keep"));
        write(dir.resolve("REVISION"), "old\n", "rw-------");

        ssh.put(server, "new\n".getBytes(), "keep/REVISION", null);

        assertThat(dir.resolve("REVISION")).hasContent("new");
        assertThat(mode(dir.resolve("REVISION"))).isEqualTo("rw-------");
    }

    @Test
    void aFileUploadedOntoASymbolicLinkIsWrittenThroughItAndTheLinkStays() throws Exception {
        Path shared = Files.createDirectories(host.root().resolve("linked/shared"));
        write(shared.resolve("database.yml"), "old\n", "rw-r--r--");
        Path link = Files.createSymbolicLink(host.root().resolve("linked/database.yml"), shared.resolve("database.yml"));
        Path file = Files.writeString(local.resolve("database.yml"), "new\n");

        ssh.upload(server, file, "linked/database.yml", null, TransferListener.IGNORE);

        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(shared.resolve("database.yml")).hasContent("new");
    }

    @Test
    void aPartFileNameStaysWithinTheLengthAFileNameMayHave() {
        String longName = "/srv/app/" + "n".repeat(240);
        assertThat(SftpTransfers.partName("/srv/app/app.conf")).matches("/srv/app/app\\.conf\\.capstan-part-[0-9a-f]{8}");
        assertThat(SftpTransfers.partName(longName)).matches("/srv/app/\\.capstan-part-[0-9a-f]{8}");
    }

    @Test
    void putWritesBytesWithTheGivenMode() throws Exception {
        ssh.put(server, "REVISION=abc\n".getBytes(), "REVISION", 0600);

        assertThat(Files.readString(host.root().resolve("REVISION"))).isEqualTo("REVISION=abc\n");
        assertThat(mode(host.root().resolve("REVISION"))).isEqualTo("rw-------");
    }

    @Test
    void downloadsASingleFileIntoAnExistingDirectory() throws Exception {
        Files.writeString(host.root().resolve("log.txt"), "line\n");

        ssh.download(server, "log.txt", local, TransferListener.IGNORE);

        assertThat(Files.readString(local.resolve("log.txt"))).isEqualTo("line\n");
    }

    @Test
    void uploadingIntoAMissingDirectoryFailsNamingHostAndPath() throws Exception {
        Path file = Files.writeString(local.resolve("a.txt"), "a");

        TransportException e = catchThrowableOfType(TransportException.class,
                () -> ssh.upload(server, file, "no/such/dir/a.txt", null, TransferListener.IGNORE));

        assertThat(e.reason()).isEqualTo(Reason.TRANSFER);
        assertThat(e.getMessage()).isEqualTo("upload of " + file + " to " + server.label() + ":no/such/dir/a.txt"
                + " failed: no such file or directory (no directory no/such/dir there)");

        TransportException put = catchThrowableOfType(TransportException.class,
                () -> ssh.put(server, "x".getBytes(), "/no/such/dir/b.txt", null));
        assertThat(put.getMessage()).endsWith("failed: no such file or directory (no directory /no/such/dir there)");
    }

    @Test
    void downloadingAMissingFileFailsNamingHostAndPath() throws Exception {
        TransportException e = catchThrowableOfType(TransportException.class,
                () -> ssh.download(server, "missing.txt", local.resolve("x"), TransferListener.IGNORE));

        assertThat(e.reason()).isEqualTo(Reason.TRANSFER);
        assertThat(e.getMessage())
                .startsWith("download of " + server.label() + ":missing.txt to ")
                .contains("no such file");
    }

    @Test
    void uploadingAMissingLocalFileFailsBeforeConnecting() throws Exception {
        TransportException e = catchThrowableOfType(TransportException.class,
                () -> ssh.upload(server, local.resolve("nope"), "nope", null, TransferListener.IGNORE));

        assertThat(e.reason()).isEqualTo(Reason.TRANSFER);
        assertThat(e.getMessage()).contains("no such local file");
    }

    private static void write(Path file, String content, String mode) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    private static String mode(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void anInterruptEndsAnUploadToAHostThatStoppedAnswering() throws Exception {
        Path big = Files.write(home.resolve("big.bin"), new byte[32 * 1024 * 1024]);
        Files.setPosixFilePermissions(big, PosixFilePermissions.fromString("rw-------")); // a secret
        try (DelayProxy proxy = DelayProxy.start(host.port(), Duration.ZERO)) {
            Path knownHosts = Files.writeString(home.resolve("known_hosts-hung"),
                    "[127.0.0.1]:" + proxy.port() + host.knownHostsLine().substring(host.knownHostsLine().indexOf(' ')) + "\n");
            SshSettings settings = Fixtures.forFleet(fleet, home).set("ssh_known_hosts", knownHosts.toString())
                    .set("keepalive_interval", 0).settings();
            Server hung = Server.parse(host.user() + "@127.0.0.1:" + proxy.port());
            try (SshTransport transport = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
                transport.execute(hung, Command.of("true"), OutputListener.IGNORE); // connected and logged in
                AtomicReference<Throwable> ended = new AtomicReference<>();
                Files.writeString(host.root().resolve("big.bin"), "the release before");
                Thread upload = Thread.ofVirtual().start(() -> {
                    try {
                        transport.upload(hung, big, "big.bin", null, TransferListener.IGNORE);
                        ended.set(new AssertionError("the upload finished"));
                    } catch (Throwable e) {
                        ended.set(e);
                    }
                });
                Path arriving = null; // the part file beside big.bin, which the upload renames over it when done
                for (int i = 0; i < 400 && (arriving == null || Files.size(arriving) < 1024 * 1024); i++) {
                    Thread.sleep(5);
                    try (var names = Files.list(host.root())) {
                        arriving = names.filter(p -> p.getFileName().toString().startsWith("big.bin.capstan-part-"))
                                .findFirst().orElse(null);
                    }
                }
                assertThat(arriving).as("the part file the upload writes").isNotNull();
                assertThat(mode(arriving)).as("the part file's mode while it is written").isEqualTo("rw-------");
                proxy.freeze(); // mid-upload: the host stops answering
                Thread.sleep(1500); // the upload is stuck waiting for the channel's window
                long interrupted = System.nanoTime();
                upload.interrupt();
                upload.join(Duration.ofSeconds(15));

                assertThat(upload.isAlive()).as("the upload still waits after the interrupt").isFalse();
                assertThat(Duration.ofNanos(System.nanoTime() - interrupted)).isLessThan(Duration.ofSeconds(10));
                assertThat(ended.get()).isInstanceOf(InterruptedException.class);
                assertThat(host.root().resolve("big.bin")).as("the file the upload would have replaced")
                        .hasContent("the release before");
            }
        }
    }
}
