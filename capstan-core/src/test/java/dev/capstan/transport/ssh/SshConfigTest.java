package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.testkit.ClientKey;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading {@code ~/.ssh/config}: once per run, safely from many threads. */
class SshConfigTest {

    @TempDir
    Path home;

    @Test
    void manyHostsResolvingAtOnceAllSeeTheirAliases() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) { // a long file: a long read
            text.append("Host other-").append(i).append("\n  HostName 10.0.").append(i / 250).append('.')
                    .append(i % 250).append("\n");
        }
        text.append("Host web-*\n  HostName 127.0.0.1\n  Port 2222\n");
        Path config = Files.writeString(home.resolve("config"), text);
        // as a user's file is: written long ago (a file written just now is read afresh by every caller)
        Files.setLastModifiedTime(config, FileTime.from(Instant.now().minus(Duration.ofDays(1))));
        SshSettings settings = Fixtures.forFleetless(home).set("ssh_config", config.toString()).settings();

        for (int round = 0; round < 10; round++) {
            TargetResolver resolver = new TargetResolver(settings, new EventLog(event -> { }));
            List<SshTarget> targets = Concurrently.run(32, i -> resolver.resolve(Server.parse("web-" + i)));

            assertThat(targets).allSatisfy(t -> assertThat(t.address()).isEqualTo("127.0.0.1:2222"));
        }
    }

    @Test
    void aConfigThatCannotBeReadFailsEveryHostInsteadOfBeingSkipped() throws Exception {
        Path config = Files.createDirectory(home.resolve("config")); // not a readable file
        SshSettings settings = Fixtures.forFleetless(home).set("ssh_config", config.toString()).settings();
        TargetResolver resolver = new TargetResolver(settings, new EventLog(event -> { }));

        for (String alias : List.of("web-1", "web-2")) {
            assertThatThrownBy(() -> resolver.resolve(Server.parse(alias)))
                    .isInstanceOf(TransportException.class)
                    .hasMessageStartingWith("cannot work out how to reach " + alias + " from ssh config: ");
        }
    }

    @Test
    void matchBlocksAreLeftOutWithOneWarningNamingWhereTheyAre() throws Exception {
        try (SshTestHost host = SshTestHost.start()) {
            Path config = Files.writeString(home.resolve("config"), """
                    Host web
                      HostName 127.0.0.1
                      Port %d
                    Match host *.internal exec "true"
                      User nobody
                      Port 1
                    Host db
                      HostName db.example.com
                    Match all
                      IdentityFile %s
                    """.formatted(host.port(), ClientKey.shared().privateKeyFile()));
            Fixtures.Events events = new Fixtures.Events();

            CommandResult result = run(config, events, "web");

            assertThat(result.stdout()).isEqualTo("web\n");
            assertThat(events.logs(Event.Level.WARN)).filteredOn(m -> m.startsWith("ssh config")).containsExactly("ssh config: ignoring the Match block at "
                    + config + ":4 (capstan applies Host blocks only; put what a server needs under Host, or set"
                    + " ssh_config=none)");
        }
    }

    @Test
    void keywordsThatDecideTheRouteOrTheTrustButAreNotAppliedAreNamedOnce() throws Exception {
        try (SshTestHost host = SshTestHost.start()) {
            Path config = Files.writeString(home.resolve("config"), """
                    Host web
                      HostName 127.0.0.1
                      Port %d
                      IdentityFile %s
                      UserKnownHostsFile /dev/null
                    Host db other
                      ProxyCommand ssh -W %%h:%%p bastion
                      UserKnownHostsFile /etc/elsewhere
                    """.formatted(host.port(), ClientKey.shared().privateKeyFile()));
            Fixtures.Events events = new Fixtures.Events();

            CommandResult result = run(config, events, "web");

            assertThat(result.stdout()).isEqualTo("web\n");
            assertThat(events.logs(Event.Level.WARN)).filteredOn(m -> m.startsWith("ssh config")).containsExactlyInAnyOrder(
                    "ssh config: UserKnownHostsFile (use the ssh_known_hosts variable) is not applied by capstan (first at "
                            + config + ":5)",
                    "ssh config: ProxyCommand (use ProxyJump, or the gateway variable) is not applied by capstan (first at "
                            + config + ":7)");
        }
    }

    @Test
    void quotedPatternsAndArgumentsReadAsInOpenSsh() throws Exception {
        try (SshTestHost host = SshTestHost.start()) {
            Path config = Files.writeString(home.resolve("config"), """
                    Host "web" other
                      HostName "127.0.0.1"
                      Port %d
                      IdentityFile "%s"
                    """.formatted(host.port(), ClientKey.shared().privateKeyFile()));

            assertThat(run(config, new Fixtures.Events(), "web").stdout()).isEqualTo("web\n");
        }
    }

    @Test
    void includedFilesAreRead() throws Exception {
        try (SshTestHost host = SshTestHost.start()) {
            Files.createDirectories(home.resolve("config.d"));
            Files.writeString(home.resolve("config.d/10-web"), """
                    Host web
                      HostName 127.0.0.1
                    """);
            Files.writeString(home.resolve("config.d/20-port"), "Port %d\n".formatted(host.port()));
            Files.writeString(home.resolve("keys"), "IdentityFile %s\n".formatted(ClientKey.shared().privateKeyFile()));
            Path config = Files.writeString(home.resolve("config"), """
                    Include config.d/*
                    Host *
                      Include keys
                      User deployer
                    """);

            CommandResult result = run(config, new Fixtures.Events(), "web");

            assertThat(result.stdout()).isEqualTo("web\n");
            assertThat(host.commandsRun()).containsExactly("echo web");
        }
    }

    @Test
    void whatFollowsATopLevelIncludeAppliesToEveryHostAsInOpenSsh() throws Exception {
        Files.writeString(home.resolve("inc"), """
                Host bastion
                  HostName 10.9.9.9
                """);
        Path config = Files.writeString(home.resolve("config"), """
                Include inc
                User deploy
                Port 2200
                Host web
                  HostName 10.0.0.1
                """);

        HostConfigEntryResolver resolver = SshConfigFile.read(config, home, new EventLog(event -> { }), name -> null);

        HostConfigEntry web = resolver.resolveEffectiveHost("web", 0, null, null, null, null);
        assertThat(web.getHostName()).isEqualTo("10.0.0.1");
        assertThat(web.getUsername()).isEqualTo("deploy");
        assertThat(web.getPort()).isEqualTo(2200);
    }

    @Test
    void aQuotedIdentityFileWithBlanksIsLeftOutWithAWarningRatherThanReadAsTwoFiles() throws Exception {
        Path config = Files.writeString(home.resolve("config"), """
                Host web
                  IdentityFile "~/.ssh/my key"
                  IdentityFile ~/.ssh/plain
                """);
        Fixtures.Events events = new Fixtures.Events();

        HostConfigEntryResolver resolver = SshConfigFile.read(config, home, new EventLog(events), name -> null);

        HostConfigEntry web = resolver.resolveEffectiveHost("web", 0, null, "deploy", null, null);
        assertThat(web.getIdentities()).hasSize(1).allSatisfy(id -> assertThat(id).endsWith("plain"));
        assertThat(events.logs(Event.Level.WARN)).containsExactly("ssh config: leaving out the IdentityFile at "
                + config + ":2: a path with blanks in it is not supported");
    }

    @Test
    void anEqualsSignWithBlanksAroundItReadsAsInOpenSsh() throws Exception {
        Path config = Files.writeString(home.resolve("config"), """
                Host = web
                  HostName = 10.0.0.1
                  Port = 2710
                  User= deploy
                  IdentityFile =/srv/keys/web  # the deploy key
                """);

        HostConfigEntryResolver resolver = SshConfigFile.read(config, home, new EventLog(event -> { }), name -> null);

        HostConfigEntry web = resolver.resolveEffectiveHost("web", 0, null, null, null, null);
        assertThat(web.getHostName()).isEqualTo("10.0.0.1");
        assertThat(web.getPort()).isEqualTo(2710);
        assertThat(web.getUsername()).isEqualTo("deploy");
        assertThat(web.getIdentities()).containsExactly("/srv/keys/web");
    }

    @Test
    void hostBlocksOfAFileIncludedUnderAnotherHostBlockApplyToNoOtherHost() throws Exception {
        Files.writeString(home.resolve("inblock.conf"), """
                Port 2222
                Host *
                  User baduser
                """);
        Path config = Files.writeString(home.resolve("config"), """
                Host nomatch-*
                  Include inblock.conf
                Host web
                  HostName 10.0.0.1
                """);
        Fixtures.Events events = new Fixtures.Events();

        HostConfigEntryResolver resolver = SshConfigFile.read(config, home, new EventLog(events), name -> null);

        HostConfigEntry web = resolver.resolveEffectiveHost("web", 0, null, "deploy", null, null);
        assertThat(web.getUsername()).isEqualTo("deploy");
        assertThat(web.getPort()).isEqualTo(22);
        HostConfigEntry matching = resolver.resolveEffectiveHost("nomatch-1", 0, null, "deploy", null, null);
        assertThat(matching.getPort()).isEqualTo(2222); // the included file's own lines before its Host block apply there
        assertThat(events.logs(Event.Level.WARN)).containsExactly("ssh config: leaving out " + home.resolve("inblock.conf")
                + " from line 2 on, its Host and Match blocks, included under 'Host nomatch-*' (capstan cannot apply them"
                + " only where that block matches)");
    }

    @Test
    void environmentVariablesInIdentityFileAreExpanded() throws Exception {
        Path config = Files.writeString(home.resolve("config"), """
                Host web
                  IdentityFile ${KEYS}/web_key
                  IdentityFile ${UNSET}/other_key
                """);
        Fixtures.Events events = new Fixtures.Events();

        HostConfigEntryResolver resolver = SshConfigFile.read(config, home, new EventLog(events),
                Map.of("KEYS", "/srv/keys")::get);

        HostConfigEntry web = resolver.resolveEffectiveHost("web", 0, null, "deploy", null, null);
        assertThat(web.getIdentities()).containsExactly("/srv/keys/web_key");
        assertThat(events.logs(Event.Level.WARN)).containsExactly("ssh config: leaving out the IdentityFile at "
                + config + ":3: it uses ${UNSET}, which is not set");
    }

    /** Runs {@code echo ALIAS} on the server that {@code alias} names in {@code config}. */
    private CommandResult run(Path config, Fixtures.Events events, String alias) throws Exception {
        SshSettings settings = Fixtures.forFleetless(home)
                .set("ssh_config", config.toString())
                .set("host_key_checking", "off")
                .settings();
        try (SshTransport ssh = new SshTransport(settings, events, PassphrasePrompt.NONE)) {
            return ssh.execute(Server.parse(alias), Command.of("echo " + alias).capturing(), OutputListener.IGNORE);
        }
    }
}
