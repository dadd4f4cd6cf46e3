package dev.capstan.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.CancelledException;
import dev.capstan.CapstanException;
import dev.capstan.CommandFailedException;
import dev.capstan.ConfigException;
import dev.capstan.Shell;
import dev.capstan.event.Event;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The deploy recipe on local servers, each with its own deploy_to: real commands, real files. */
class DeployRecipeTest {
    @TempDir
    Path dir;

    @Test
    void setupDeployLayoutRevisionAndSharedFiles() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> {
            cap.set("linked_files", List.of("config/app.properties"));
            cap.set("linked_dirs", List.of("log"));
            cap.set("copy_revision", "rev-1");
        });
        assertThat(f.run("deploy:setup")).isNull();
        Files.writeString(f.deployTo(0).resolve("shared/config/app.properties"), "port=1\n");
        Files.writeString(f.deployTo(1).resolve("shared/config/app.properties"), "port=2\n");
        assertThat(f.run("deploy:check", "deploy")).isNull();
        for (int host = 0; host < 2; host++) {
            Path current = f.deployTo(host).resolve("current");
            assertThat(f.current(host)).matches("\\d{14}");
            assertThat(current.resolve("index.html")).hasContent("v1");
            assertThat(current.resolve("REVISION")).hasContent("rev-1");
            assertThat(current.resolve("config/app.properties")).hasContent("port=" + (host + 1));
            assertThat(Files.isSymbolicLink(current.resolve("log"))).isTrue();
            assertThat(Files.readString(f.deployTo(host).resolve("revisions.log"))).contains("deployed release " + f.current(host) + " revision rev-1");
            assertThat(f.deployTo(host).resolve("deploy.lock")).doesNotExist();
        }
        assertThat(f.current(0)).isEqualTo(f.current(1));
    }

    @Test
    void aNoReleaseServerIsLeftOutOfTheWholeDeploy() throws Exception {
        DeployFixture f = new DeployFixture(dir, 3, cap -> {
            cap.server("host3").set("no_release", true);
            cap.set("restart_command", "echo restarted >> " + dir.resolve("restarts"));
            // an inline hook on deploy runs on every server, no_release ones included, as in Capistrano
            cap.before("deploy", ctx -> ctx.run("echo hook >> " + dir.resolve("hooks")));
        });
        assertThat(f.run("deploy:setup", "deploy")).isNull();

        assertThat(Files.readAllLines(dir.resolve("restarts"))).hasSize(2);
        assertThat(Files.readAllLines(dir.resolve("hooks"))).hasSize(3);
        for (int host = 0; host < 2; host++) {
            assertThat(Files.readString(f.deployTo(host).resolve("revisions.log"))).contains("deployed release " + f.current(host));
        }
        assertThat(f.deployTo(2)).doesNotExist();
    }

    @Test
    void anArtifactsRevisionIsTheStartOfItsSha256() throws Exception {
        Path jar = Files.write(dir.resolve("shop.jar"), "pretend this is a jar\n".getBytes());
        DeployFixture f = new DeployFixture(dir, 2, cap -> cap.set("repository", jar.toString()));
        assertThat(f.run("deploy:setup", "deploy")).isNull();

        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar)))
                .substring(0, 12);
        for (int host = 0; host < 2; host++) {
            assertThat(f.deployTo(host).resolve("current/REVISION")).hasContent(expected);
            assertThat(f.deployTo(host).resolve("current/shop.jar")).hasSameBinaryContentAs(jar);
            assertThat(Files.readString(f.deployTo(host).resolve("revisions.log"))).contains(" revision " + expected);
        }
    }

    @Test
    void aPackedDirectoryGetsOneRevisionEverywhereAndItsTarballIsRemoved() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> { });
        List<String> tarballsBefore = tarballs();
        assertThat(f.run("deploy:setup", "deploy")).isNull();

        String revision = Files.readString(f.deployTo(0).resolve("current/REVISION")).strip();
        assertThat(revision).matches("[0-9a-f]{12}");
        assertThat(f.deployTo(1).resolve("current/REVISION")).hasContent(revision);
        assertThat(Files.readString(f.deployTo(1).resolve("revisions.log"))).contains(" revision " + revision);
        assertThat(tarballs()).isEqualTo(tarballsBefore);
    }

    /** The packed tarballs of application "shop" in the temporary directory. */
    private static List<String> tarballs() throws IOException {
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("shop-release")).sorted().toList();
        }
    }

    @Test
    void checkListsWhatIsMissing() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> cap.set("linked_files", List.of("config/db.yml")));
        RuntimeException error = f.run("deploy:check");
        assertThat(error).isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("missing: directory " + f.deployTo(0).resolve("releases") + " (deploy:setup or the first deploy makes it)")
                .hasMessageContaining("missing: linked file " + f.deployTo(0).resolve("shared/config/db.yml"));
    }

    @Test
    void aDeployWhoseLinkedFileSharedLacksFailsBeforeTheSwitchAndMakesLinkedDirs() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> {
            cap.set("linked_files", List.of("config/db.yml"));
            cap.set("linked_dirs", List.of("log"));
        });
        assertThat(f.run("deploy:setup")).isNull();
        for (int host = 0; host < 2; host++) {
            Files.writeString(Files.createDirectories(f.deployTo(host).resolve("shared/config")).resolve("db.yml"), "db\n");
        }
        assertThat(f.run("deploy")).isNull();
        String first = f.current(0);
        Files.delete(f.deployTo(1).resolve("shared/config/db.yml"));
        Files.delete(f.deployTo(1).resolve("shared/log"));
        DeployFixture.nextSecond();

        assertThat(f.run("deploy")).hasMessageContaining("missing: linked file " + f.deployTo(1).resolve("shared/config/db.yml"));
        assertThat(f.current(0)).isEqualTo(first);
        assertThat(f.current(1)).isEqualTo(first);
        assertThat(f.releases(1)).containsExactly(first);
        assertThat(f.deployTo(1).resolve("shared/log")).isDirectory();
    }

    @Test
    void aLinkedFileInsideALinkedDirKeepsItsSharedContent() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> {
            cap.set("linked_files", List.of("config/db.yml"));
            cap.set("linked_dirs", List.of("config"));
        });
        assertThat(f.run("deploy:setup")).isNull();
        Path shared = Files.createDirectories(f.deployTo(0).resolve("shared/config")).resolve("db.yml");
        Files.writeString(shared, "password: s3cret\n");
        assertThat(f.run("deploy")).isNull();
        assertThat(Files.isSymbolicLink(shared)).isFalse();
        assertThat(f.deployTo(0).resolve("current/config/db.yml")).hasContent("password: s3cret");
    }

    @Test
    void nestedLinkedDirsKeepTheirSharedContent() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> cap.set("linked_dirs", List.of("public", "public/uploads")));
        assertThat(f.run("deploy:setup")).isNull();
        Path upload = Files.createDirectories(f.deployTo(0).resolve("shared/public/uploads")).resolve("user1.jpg");
        Files.writeString(upload, "jpeg\n");
        assertThat(f.run("deploy")).isNull();
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        assertThat(Files.isSymbolicLink(upload.getParent())).isFalse();
        assertThat(f.deployTo(0).resolve("current/public/uploads/user1.jpg")).hasContent("jpeg");
    }

    @Test
    void theBuildRunsWhereCapstanRunsAndMakesTheArtifactItDeploys() throws Exception {
        // as capstan init's recipe has it: mvn package makes target/app.jar, which does not exist before
        Path project = Files.createDirectories(dir.resolve("project"));
        Path artifact = project.resolve("target/app.jar");
        String cwd = Path.of("").toAbsolutePath().toString();
        DeployFixture f = new DeployFixture(dir, 1, cap -> {
            cap.set("repository", artifact.toString());
            cap.set("build_command", "test \"$PWD\" = " + Shell.quote(cwd) + " && mkdir -p " + Shell.quote(artifact.getParent().toString())
                    + " && echo jar > " + Shell.quote(artifact.toString()));
        });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        assertThat(f.deployTo(0).resolve("current/app.jar")).hasContent("jar");
    }

    @Test
    void aRollbackToANamedReleaseSomeServerLacksSwitchesNone() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        String first = f.releases(0).get(0);
        String second = f.current(0);
        // the first release is gone from the second server
        Path gone = f.deployTo(1).resolve("releases/" + first);
        try (var files = Files.walk(gone)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }

        assertThat(new DeployFixture(dir, 2, cap -> cap.set("rollback_release", first)).run("deploy:rollback"))
                .hasMessageContaining("no complete release " + first + " here: no server was switched");
        assertThat(f.current(0)).isEqualTo(second);
        assertThat(f.current(1)).isEqualTo(second);
        assertThat(f.deployTo(0).resolve("releases/" + second + "/BAD_RELEASE")).doesNotExist();
    }

    @Test
    void aReleaseNameThatIsNoPlainNameIsRefusedBeforeAnythingRuns() throws Exception {
        Path pwned = dir.resolve("PWNED");
        DeployFixture f = new DeployFixture(dir, 1, cap -> cap.set("release_name", "r$(touch " + pwned + ")"));
        assertThat(f.run("deploy:setup")).isNull();
        assertThat(f.run("deploy")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("release_name 'r$(touch " + pwned + ")' is not a release name");
        assertThat(pwned).doesNotExist();
        for (String name : List.of("../../etc", "v2.0", "2026112701000")) { // releases and cleanup order by 14 digits
            assertThat(new DeployFixture(dir, 1, cap -> cap.set("release_name", name)).run("deploy")).as(name)
                    .isInstanceOf(ConfigException.class);
        }
    }

    @Test
    void aFailureBeforeTheReleaseExistsRollsBackCleanly() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> cap.set("build_command", "false"));
        assertThat(f.run("deploy:setup")).isNull();
        assertThat(f.run("deploy")).hasMessageContaining("`false` failed on 1 host: localhost");
        assertThat(f.events).filteredOn(e -> e instanceof Event.RollbackStep).isNotEmpty()
                .allSatisfy(e -> assertThat(((Event.RollbackStep) e).succeeded()).as(e.toString()).isTrue());
        assertThat(f.releases(0)).isEmpty();
    }

    @Test
    void rollbackReturnsToThePreviousReleaseAndMarksTheBadOne() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String first = f.current(0);
        DeployFixture.nextSecond();
        Files.writeString(f.app.resolve("index.html"), "v2\n");
        assertThat(f.run("deploy")).isNull();
        String second = f.current(0);
        assertThat(second).isNotEqualTo(first);
        assertThat(f.deployTo(0).resolve("current/index.html")).hasContent("v2");

        assertThat(f.run("deploy:rollback")).isNull();
        for (int host = 0; host < 2; host++) {
            assertThat(f.current(host)).isEqualTo(first);
            assertThat(f.deployTo(host).resolve("current/index.html")).hasContent("v1");
            assertThat(f.deployTo(host).resolve("releases/" + second + "/BAD_RELEASE")).exists();
        }
        // a second rollback has nowhere to go: a clear failure, current untouched
        assertThat(f.run("deploy:rollback")).hasMessageContaining("no earlier complete release to roll back to");
        assertThat(f.current(0)).isEqualTo(first);
    }

    @Test
    void rollbackToANamedRelease() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String first = f.current(0);
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        String second = f.releases(0).get(1);
        String third = f.releases(0).get(2);
        assertThat(new DeployFixture(dir, 1, cap -> cap.set("rollback_release", first)).run("deploy:rollback")).isNull();
        assertThat(f.current(0)).isEqualTo(first);
        assertThat(new DeployFixture(dir, 1, cap -> cap.set("rollback_release", "yesterday")).run("deploy:rollback"))
                .hasMessageContaining("rollback_release 'yesterday' is not a release name");

        // the second release was live, and was not rolled back from: newer than current, but no leftover
        assertThat(f.run("deploy:cleanup")).isNull();
        assertThat(f.releases(0)).containsExactly(first, second).doesNotContain(third);
        assertThat(new DeployFixture(dir, 1, cap -> cap.set("rollback_release", second)).run("deploy:rollback")).isNull();
        assertThat(f.current(0)).isEqualTo(second);
    }

    @Test
    void cleanupKeepsTheNewestReleasesAndNeverCurrent() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> cap.set("keep_releases", 2));
        assertThat(f.run("deploy:setup")).isNull();
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                DeployFixture.nextSecond();
            }
            assertThat(f.run("deploy")).isNull();
        }
        List<String> kept = f.releases(0);
        assertThat(kept).hasSize(2).contains(f.current(0));
        // something that is not a release is never touched
        Files.createDirectories(f.deployTo(0).resolve("releases/not-a-release"));
        assertThat(f.run("deploy:cleanup")).isNull();
        assertThat(f.deployTo(0).resolve("releases/not-a-release")).exists();
    }

    @Test
    void aFailureInUpdateCodeOnOneHostOfFourRollsBackAllFour() throws Exception {
        DeployFixture f = new DeployFixture(dir, 4, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        List<String> before = List.of(f.current(0), f.current(1), f.current(2), f.current(3));
        // the release is in place everywhere, then a step of update_code fails on host 3 only
        final DeployFixture failing = new DeployFixture(dir, 4, cap -> {
            cap.task("verify", ctx -> ctx.run(s -> s.spec().equals("host3") ? "echo 'disk full' >&2; exit 1" : "true"));
            cap.after("deploy:update_code", "verify");
        });
        RuntimeException error = failing.run("deploy");
        assertThat(error).isInstanceOf(CommandFailedException.class).hasMessageContaining("failed on 1 host: host3");
        for (int host = 0; host < 4; host++) {
            assertThat(f.current(host)).isEqualTo(before.get(host));
            assertThat(f.releases(host)).containsExactly(before.get(host));   // the new release is gone everywhere
            assertThat(f.deployTo(host).resolve("deploy.lock")).doesNotExist(); // the lock is released on failure
        }
        assertThat(failing.events).anyMatch(e -> e instanceof Event.RollbackStarted);
    }

    @Test
    void twoDeploysInTheSameSecondGetTwoReleasesAndTheSecondOnesRollbackLeavesTheFirstLive() throws Exception {
        AtomicInteger deploys = new AtomicInteger();
        DeployFixture f = new DeployFixture(dir, 2, cap -> {
            // the second deploy of the run fails after its switch: its rollback removes its own release only
            cap.task("smoke", ctx -> {
                if (deploys.incrementAndGet() == 3) {
                    throw new IllegalStateException("smoke test failed");
                }
            });
            cap.after("deploy:symlink", "smoke");
        });
        assertThat(f.run("deploy:setup", "deploy", "deploy")).isNull();
        List<String> two = f.releases(0);
        assertThat(two).hasSize(2);
        assertThat(f.current(0)).isEqualTo(two.get(1));

        assertThat(f.run("deploy")).hasMessage("smoke test failed");
        for (int host = 0; host < 2; host++) {
            assertThat(f.current(host)).isEqualTo(two.get(1));
            assertThat(f.deployTo(host).resolve("current/REVISION")).exists();
            assertThat(f.deployTo(host).resolve("current/index.html")).hasContent("v1");
            assertThat(f.releases(host)).isEqualTo(two);
        }
    }

    @Test
    void aReleaseNameThatIsTakenIsRefusedBeforeAnythingChanges() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String current = f.current(0);
        Path inTheWay = Files.writeString(f.deployTo(1).resolve("releases/20991231000000"), "not ours");

        DeployFixture named = new DeployFixture(dir, 2, cap -> cap.set("release_name", "20991231000000"));
        assertThat(named.run("deploy")).isInstanceOf(CapstanException.class)
                .hasMessageContaining("release 20991231000000 exists already under releases/ on a server");

        assertThat(inTheWay).hasContent("not ours");
        assertThat(named.events).noneMatch(e -> e instanceof Event.RollbackStarted);
        for (int host = 0; host < 2; host++) {
            assertThat(f.current(host)).isEqualTo(current);
            assertThat(f.deployTo(host).resolve("deploy.lock")).doesNotExist();
        }
    }

    @Test
    void ctrlCDuringADeployRollsBackAndReleasesTheLock() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> {
            cap.task("slow", ctx -> ctx.run("sleep 30"));
            cap.after("deploy:update_code", "slow");
        });
        assertThat(f.run("deploy:setup")).isNull();
        AtomicReference<RuntimeException> result = new AtomicReference<>();
        Thread deploy = Thread.ofVirtual().start(() -> result.set(f.run("deploy")));
        awaitCommand(f, "sleep 30");

        deploy.interrupt();
        deploy.join(Duration.ofSeconds(20));

        assertThat(deploy.isAlive()).isFalse();
        assertThat(result.get()).isInstanceOf(CancelledException.class);
        for (int host = 0; host < 2; host++) {
            assertThat(f.deployTo(host).resolve("deploy.lock")).doesNotExist();
            assertThat(f.releases(host)).isEmpty();
            assertThat(f.deployTo(host).resolve("current")).doesNotExist();
        }
    }

    @Test
    void ctrlCWhileWaitingForTheLockGivesBackTheLocksTaken() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> cap.set("lock_wait", 30));
        assertThat(f.run("deploy:setup")).isNull();
        Path foreign = Files.writeString(f.deployTo(1).resolve("deploy.lock"), "token-x alice@laptop since then\n");
        AtomicReference<RuntimeException> result = new AtomicReference<>();
        Thread deploy = Thread.ofVirtual().start(() -> result.set(f.run("deploy")));
        awaitFile(f.deployTo(0).resolve("deploy.lock"));

        deploy.interrupt();
        deploy.join(Duration.ofSeconds(20));

        assertThat(result.get()).isInstanceOf(CancelledException.class);
        assertThat(f.deployTo(0).resolve("deploy.lock")).doesNotExist();
        assertThat(foreign).hasContent("token-x alice@laptop since then\n");
    }

    @Test
    void aHookAfterTheLockThatFailsStillReleasesIt() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> {
            cap.task("announce", ctx -> ctx.run(s -> s.spec().equals("host2") ? "exit 1" : "true"));
            cap.after("deploy:lock", "announce");
        });
        assertThat(f.run("deploy:setup")).isNull();

        assertThat(f.run("deploy")).isInstanceOf(CommandFailedException.class);

        assertThat(f.deployTo(0).resolve("deploy.lock")).doesNotExist();
        assertThat(f.deployTo(1).resolve("deploy.lock")).doesNotExist();
    }

    @Test
    void aFailedRestartLeavesTheNewReleaseLiveLoggedAndSaysSo() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> cap.set("restart_command", "exit 4"));
        assertThat(f.run("deploy:setup")).isNull();

        assertThat(f.run("deploy")).isInstanceOf(CommandFailedException.class);

        String release = f.current(0);
        assertThat(release).isNotNull();
        assertThat(Files.readString(f.deployTo(1).resolve("revisions.log"))).contains("deployed release " + release);
        assertThat(f.events).anyMatch(e -> e instanceof Event.Log l && l.message().startsWith("release " + release
                + " is live: current points at it on every server; `capstan deploy:rollback` goes back"));
        assertThat(f.deployTo(0).resolve("deploy.lock")).doesNotExist();
    }

    @Test
    void rollbackGoesToTheReleaseCurrentReplacedNotToOneThatWasNeverLive() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String first = f.current(0);
        DeployFixture.nextSecond();
        // what a deploy killed after update_code leaves: a complete release that never went live
        String neverLive = DeployRecipe.RELEASE_NAME.format(Instant.now());
        Path orphan = Files.createDirectories(f.deployTo(0).resolve("releases/" + neverLive));
        Files.writeString(orphan.resolve("REVISION"), "untested\n");
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();

        assertThat(f.run("deploy:rollback")).isNull();

        assertThat(f.current(0)).isEqualTo(first);
    }

    @Test
    void cleanupRemovesReleasesRolledBackFromSoThatTheyKeepNoGoodOneOut() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> cap.set("keep_releases", 2));
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String first = f.current(0);
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        String bad = f.current(0);
        assertThat(f.run("deploy:rollback")).isNull();
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        String third = f.current(0);

        assertThat(f.releases(0)).containsExactly(first, third).doesNotContain(bad);
        assertThat(f.run("deploy:rollback")).isNull();
        assertThat(f.current(0)).isEqualTo(first);
    }

    @Test
    void aReleaseRolledBackToByNameIsGoodAgainAndSurvivesTheNextDeploysCleanup() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String first = f.current(0);
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        String second = f.current(0);
        assertThat(f.run("deploy:rollback")).isNull(); // second is marked: rolled back from
        assertThat(new DeployFixture(dir, 1, cap -> cap.set("rollback_release", second)).run("deploy:rollback")).isNull();
        assertThat(f.current(0)).isEqualTo(second);
        DeployFixture.nextSecond();
        assertThat(f.run("deploy", "deploy:cleanup")).isNull();
        String third = f.current(0);

        // second was live when third replaced it: it stays, and a rollback goes back to it
        assertThat(f.releases(0)).contains(second, third);
        assertThat(f.run("deploy:rollback")).isNull();
        assertThat(f.current(0)).isEqualTo(second);
    }

    @Test
    void aRolledBackDeployLeavesNoStagedUploadBehind() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> {
            cap.set("release_name", "20991231000000");
            cap.task("verify", ctx -> ctx.run(s -> s.spec().equals("host2") ? "exit 1" : "true"));
            cap.after("deploy:update_code", "verify");
        });
        assertThat(f.run("deploy:setup")).isNull();
        // what an upload cut short leaves beside the release
        Path staged = Files.writeString(f.deployTo(0).resolve("releases/.upload-20991231000000-shop.jar"), "PK");

        assertThat(f.run("deploy")).isInstanceOf(CommandFailedException.class);

        assertThat(staged).doesNotExist();
        assertThat(f.releases(0)).isEmpty();
    }

    @Test
    void aServerWhereTheLockCannotBeTakenIsNotReportedAsLocked() throws Exception {
        DeployFixture f = new DeployFixture(dir, List.of("host1", "host2"), null, cap -> { },
                i -> i == 0 ? dir.resolve("srv-1") : dir.resolve("a-file/srv-2"));
        Files.writeString(dir.resolve("a-file"), "deploy_to cannot be made under a file");

        RuntimeException error = f.run("deploy");

        assertThat(error).isInstanceOf(CapstanException.class)
                .hasMessageStartingWith("could not take the deploy lock on 1 of 2 servers:")
                .hasMessageNotContaining("force_unlock");
        assertThat(dir.resolve("srv-1/deploy.lock")).doesNotExist();
    }

    @Test
    void aBadNumberIsRefusedBeforeTheDeployChangesAnything() throws Exception {
        for (String[] bad : new String[][] {{"restart_limit", "abc", "restart_limit must be a whole number, got 'abc'"},
                {"keep_releases", "0", "keep_releases must be at least 1, got 0"},
                {"health_check_retries", "zz", "health_check_retries must be a whole number, got 'zz'"}}) {
            DeployFixture f = new DeployFixture(dir, 1, cap -> {
                cap.set("restart_command", "true");
                cap.set(bad[0], bad[1]);
            });
            assertThat(f.run("deploy:setup")).isNull();

            assertThat(f.run("deploy")).as(bad[0]).isInstanceOf(ConfigException.class).hasMessage(bad[2]);

            assertThat(f.releases(0)).as(bad[0]).isEmpty();
            assertThat(f.deployTo(0).resolve("current")).doesNotExist();
            assertThat(f.deployTo(0).resolve("deploy.lock")).doesNotExist();
        }
    }

    @Test
    void aHealthCheckCommandAndUrlTogetherAreRefused() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> {
            cap.set("health_check", "true");
            cap.set("health_check_url", "http://localhost/health");
        });
        assertThat(f.run("deploy:setup")).isNull();

        assertThat(f.run("deploy")).isInstanceOf(ConfigException.class)
                .hasMessage("set health_check or health_check_url, not both");
        assertThat(f.releases(0)).isEmpty();
    }

    @Test
    void aMissingArtifactIsRefusedBeforeTheLockIsTaken() throws Exception {
        Path missing = dir.resolve("gone.jar");
        DeployFixture f = new DeployFixture(dir, 1, cap -> cap.set("repository", missing.toString()));
        assertThat(f.run("deploy:setup")).isNull();

        assertThat(f.run("deploy")).isInstanceOf(ConfigException.class)
                .hasMessage("deploy: repository " + missing + " does not exist on this machine");

        assertThat(f.events).noneMatch(e -> e instanceof Event.TaskStarted t && t.task().equals("deploy:lock"));
        assertThat(f.releases(0)).isEmpty();
    }

    @Test
    void aSwitchThatNeverHappenedOnAServerLeavesItsCurrentAlone() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String first = f.current(1);
        DeployFixture.nextSecond();
        // on host 2 the release loses its REVISION between update_code and symlink: its switch fails before it
        // records .previous, and the rollback must not take current away from the release it still points at
        Path current = f.deployTo(1).resolve("current");
        DeployFixture broken = new DeployFixture(dir, 2, cap -> {
            cap.set("release_name", "20991231000000");
            cap.task("lose", ctx -> ctx.run(s -> s.spec().equals("host2")
                    ? "rm -f " + f.deployTo(1).resolve("releases/20991231000000/REVISION") : "true"));
            cap.after("deploy:update_code", "lose");
        });

        assertThat(broken.run("deploy")).isInstanceOf(CommandFailedException.class);

        assertThat(Files.isSymbolicLink(current)).isTrue();
        assertThat(f.current(1)).isEqualTo(first);
        assertThat(f.current(0)).isEqualTo(first);
    }

    @Test
    void namesGivenAsDigitsWorkAsTheNumbersTheCommandLineMakesThem() throws Exception {
        // -s types digits as a number: release_name=20300101000000 arrives as a Long, application=2024 as an Integer
        DeployFixture f = new DeployFixture(dir, 1, cap -> {
            cap.set("release_name", 20300101000000L);
            cap.set("application", 2024);
        });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        assertThat(f.current(0)).isEqualTo("20300101000000");
    }

    @Test
    void aRollbackWaitsForNoOneElsesLockAndLeavesCurrentAlone() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        String second = f.current(0);
        Files.writeString(f.deployTo(1).resolve("deploy.lock"), "token-x bob@ci since then (release 1)\n");

        assertThat(f.run("deploy:rollback")).isInstanceOf(CapstanException.class)
                .hasMessageContaining("deploy is locked on 1 of 2 servers");

        assertThat(f.current(0)).isEqualTo(second);
        assertThat(f.current(1)).isEqualTo(second);
        assertThat(f.deployTo(0).resolve("deploy.lock")).doesNotExist();
    }

    /** Waits until a command line of {@code f}'s run has started. */
    private static void awaitCommand(DeployFixture f, String line) throws InterruptedException {
        for (int i = 0; i < 400; i++) {
            if (f.events.stream().anyMatch(e -> e instanceof Event.CommandStarted c && c.line().equals(line))) {
                Thread.sleep(200); // and has reached the servers
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("`" + line + "` never started");
    }

    private static void awaitFile(Path file) throws InterruptedException {
        for (int i = 0; i < 400 && !Files.exists(file); i++) {
            Thread.sleep(25);
        }
        assertThat(file).exists();
    }

    @Test
    void aFailureInSymlinkPointsCurrentBackOnEveryHost() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String first = f.current(0);
        DeployFixture.nextSecond();
        // a check hooked after symlink, still inside the transaction, fails
        DeployFixture h = new DeployFixture(dir, 2, cap -> {
            cap.task("boom", ctx -> {
                throw new IllegalStateException("post-switch check failed");
            });
            cap.after("deploy:symlink", "boom");
        });
        assertThat(h.run("deploy")).hasMessage("post-switch check failed");
        assertThat(f.current(0)).isEqualTo(first);
        assertThat(f.current(1)).isEqualTo(first);
        assertThat(f.releases(0)).containsExactly(first);
    }

    @Test
    void aHostWhoseSwitchBackFailedKeepsTheReleaseCurrentPointsAt() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String first = f.current(0);
        DeployFixture.nextSecond();
        // after the switch a check fails; on the second host the switch back then fails too (what a lost connection
        // does): a directory stands where it writes its new link
        DeployFixture h = new DeployFixture(dir, 2, cap -> {
            cap.task("boom", ctx -> {
                ctx.onRollback(() -> ctx.run("mkdir -p " + f.deployTo(1).resolve("current.tmp-" + ctx.fetch("release_name")),
                        o -> o.hosts(ctx.servers().get(1).spec())));
                throw new IllegalStateException("post-switch check failed");
            });
            cap.after("deploy:symlink", "boom");
        });
        assertThat(h.run("deploy")).hasMessage("post-switch check failed");
        assertThat(f.current(0)).isEqualTo(first);
        String second = f.current(1);
        assertThat(second).isNotEqualTo(first);
        // current points at a complete release, not at one the rollback removed
        assertThat(f.deployTo(1).resolve("releases/" + second + "/REVISION")).exists();
        // and says how to bring this host alone back to where the others are
        assertThat(h.events).anySatisfy(e -> assertThat(e.toString()).contains("release " + second
                + " kept: current still points at it on this host; switch it back with: capstan deploy:rollback -s"
                + " rollback_release=" + first + " --hosts "));
        assertThat(f.releases(0)).containsExactly(first);
    }

    @Test
    void whatARemovalCutShortLeavesIsNoReleaseAndCleanupRemovesIt() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String first = f.current(0);
        DeployFixture.nextSecond();
        assertThat(f.run("deploy")).isNull();
        // what a removal stopped half-way leaves: the release renamed out of the releases, partly deleted
        Path releases = f.deployTo(0).resolve("releases");
        Files.move(releases.resolve(first), releases.resolve(".removing-" + first));
        assertThat(f.releases(0)).doesNotContain(first);
        assertThat(f.run("deploy:rollback")).hasMessageContaining("no earlier complete release to roll back to");
        assertThat(f.run("deploy:cleanup")).isNull();
        assertThat(releases.resolve(".removing-" + first)).doesNotExist();
    }

    @Test
    void aSecondDeployFailsAtOnceNamingTheLockHolder() throws Exception {
        DeployFixture f = new DeployFixture(dir, 2, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String current = f.current(0);
        // someone else holds the lock on host 2 only
        Files.writeString(f.deployTo(1).resolve("deploy.lock"), "token-x alice@laptop since 2026-11-26T08:00:00Z (release 20261126080000)\n");
        DeployFixture.nextSecond();
        RuntimeException error = f.run("deploy");
        assertThat(error).isInstanceOf(CapstanException.class)
                .hasMessageContaining("deploy is locked on 1 of 2 servers")
                .hasMessageContaining("host2: locked by alice@laptop since 2026-11-26T08:00:00Z")
                .hasMessageContaining("capstan deploy:unlock -s force_unlock=true");
        // all or nothing: the lock taken on host 1 was released again; nothing was deployed
        assertThat(f.deployTo(0).resolve("deploy.lock")).doesNotExist();
        assertThat(f.deployTo(1).resolve("deploy.lock")).exists();
        assertThat(f.current(0)).isEqualTo(current);
        // force-unlock clears it
        assertThat(new DeployFixture(dir, 2, cap -> cap.set("force_unlock", true)).run("deploy:unlock")).isNull();
        assertThat(f.deployTo(1).resolve("deploy.lock")).doesNotExist();
        assertThat(f.run("deploy")).isNull();
    }

    @Test
    void lockWaitWaitsForTheHolder() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> cap.set("lock_wait", 10));
        assertThat(f.run("deploy:setup")).isNull();
        Path lock = f.deployTo(0).resolve("deploy.lock");
        Files.writeString(lock, "t bob@ci since then\n");
        AtomicReference<Instant> removed = new AtomicReference<>();
        AtomicReference<String> heldUntilRemoved = new AtomicReference<>();
        Thread remover = Thread.ofVirtual().start(() -> {
            try {
                // the deploy is trying to take the lock: give it time to find it held, then let bob go
                for (int i = 0; i < 500 && lockAttempt(f).isEmpty(); i++) {
                    Thread.sleep(20);
                }
                Thread.sleep(1500);
                heldUntilRemoved.set(Files.readString(lock));
                removed.set(Instant.now());
                Files.delete(lock);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        RuntimeException error = f.run("deploy");
        remover.join(Duration.ofSeconds(30));
        assertThat(remover.isAlive()).isFalse();
        assertThat(error).isNull();
        assertThat(f.current(0)).isNotNull();
        // the deploy waited: bob's lock was untouched until bob removed it, and the deploy took it only after that
        assertThat(heldUntilRemoved.get()).isEqualTo("t bob@ci since then\n");
        Event.CommandStarted attempt = lockAttempt(f).orElseThrow();
        List<Event> events = List.copyOf(f.events);
        Instant taken = events.subList(events.indexOf(attempt), events.size()).stream()
                .filter(e -> e instanceof Event.CommandFinished c && c.id() == attempt.id()).map(Event::at).findFirst().orElseThrow();
        assertThat(taken).isAfterOrEqualTo(removed.get());
    }

    /** The deploy's command that takes the lock, once it has started. */
    private static java.util.Optional<Event.CommandStarted> lockAttempt(DeployFixture f) {
        synchronized (f.events) {
            return f.events.stream().filter(e -> e instanceof Event.CommandStarted c && c.line().contains("set -C"))
                    .map(Event.CommandStarted.class::cast).findFirst();
        }
    }

    @Test
    void cleanupRemovesAHalfMadeRelease() throws Exception {
        DeployFixture f = new DeployFixture(dir, 1, cap -> { });
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        String current = f.current(0);
        // what a killed deploy leaves: a release directory without REVISION
        Path half = Files.createDirectories(f.deployTo(0).resolve("releases/29991231235959"));
        Files.writeString(half.resolve("index.html"), "partial");
        assertThat(f.run("deploy:cleanup")).isNull();
        assertThat(half).doesNotExist();
        assertThat(f.current(0)).isEqualTo(current);
    }

    @Test
    void artifactsAreUploadedAsIs() throws Exception {
        Path jar = Files.write(dir.resolve("service.jar"), new byte[] {'P', 'K', 3, 4});
        DeployFixture f = new DeployFixture(dir, 2, cap -> cap.set("repository", jar.toString()));
        assertThat(f.run("deploy:setup", "deploy")).isNull();
        assertThat(f.deployTo(1).resolve("current/service.jar")).hasBinaryContent(new byte[] {'P', 'K', 3, 4});
        // one upload per host, reported as one step on both
        assertThat(f.events).filteredOn(e -> e instanceof Event.CommandStarted s && s.line().startsWith("upload "))
                .singleElement().satisfies(e -> assertThat(((Event.CommandStarted) e).servers()).hasSize(2));
    }

    @Test
    void restartInRollingGroupsWithAHealthCheck() throws Exception {
        Path log = dir.resolve("restarts.log");
        DeployFixture f = new DeployFixture(dir, 3, cap -> {
            cap.set("restart_command", "echo restart $(pwd) >> " + log);
            cap.set("restart_limit", 2);
            cap.set("health_check", "test -f " + log);
            cap.set("health_check_delay", 0);
        });
        assertThat(f.run("deploy:setup")).isNull();
        assertThat(f.run("deploy:restart")).isNull();
        assertThat(Files.readAllLines(log)).hasSize(3);
        List<Event.CommandStarted> restarts = f.events.stream().filter(e -> e instanceof Event.CommandStarted s && s.line().startsWith("echo restart"))
                .map(Event.CommandStarted.class::cast).toList();
        assertThat(restarts).extracting(e -> e.servers().size()).containsExactly(2, 1);
    }

    @Test
    void aFailingHealthCheckStopsLaterGroups() throws Exception {
        Path log = dir.resolve("restarts.log");
        DeployFixture f = new DeployFixture(dir, 3, cap -> {
            cap.set("restart_command", "echo restart >> " + log);
            cap.set("restart_limit", 1);
            cap.set("health_check", "false");
            cap.set("health_check_retries", 2);
            cap.set("health_check_delay", 0);
        });
        RuntimeException error = f.run("deploy:restart");
        assertThat(error).isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("`false` failed on 1 host: host1");
        assertThat(f.events).anyMatch(e -> e instanceof Event.Log l
                && l.message().equals("health check still failing after 2 attempts; later groups were not restarted"));
        assertThat(Files.readAllLines(log)).hasSize(1);
    }

    @Test
    void gitStrategyDeploysTheResolvedRevision() throws Exception {
        Path repo = Files.createDirectories(dir.resolve("repo"));
        exec(repo, "git init -q -b main . && git config user.email t@t && git config user.name t"
                + " && echo hello > README && git add README && git commit -qm first");
        String head = exec(repo, "git rev-parse HEAD").strip();
        DeployFixture f = new DeployFixture(dir, 2, cap -> {
            cap.set("strategy", "git");
            cap.set("repository", repo.toString());
        });
        assertThat(f.run("deploy:setup", "deploy:check", "deploy")).isNull();
        assertThat(f.deployTo(0).resolve("current/README")).hasContent("hello");
        assertThat(f.deployTo(1).resolve("current/REVISION")).hasContent(head);
        assertThat(f.deployTo(0).resolve("shared/repo")).isDirectory();
        exec(repo, "echo two >> README && git commit -qam second");
        assertThat(f.run("deploy:pending")).isNull();
        assertThat(f.events).anyMatch(e -> e instanceof Event.Log l && l.message().contains("1 commit pending on main") && l.message().contains("second"));
    }

    private static String exec(Path dir, String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command + ": still running after 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(command + ": " + out);
        }
        return out;
    }
}
