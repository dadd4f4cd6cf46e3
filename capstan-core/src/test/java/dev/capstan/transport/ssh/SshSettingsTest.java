package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.Server;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SshSettingsTest {

    private static final Path HOME = Path.of(System.getProperty("user.home"));

    private final Map<String, Object> variables = new HashMap<>();

    /** The list the command line checks {@code -s} names against is the one {@code from} reads, name for name. */
    @Test
    void variablesNamesEveryVariableFromReads() {
        List<String> read = new java.util.ArrayList<>();
        SshSettings.from(name -> {
            read.add(name);
            return null;
        });
        assertThat(SshSettings.VARIABLES).containsExactlyInAnyOrderElementsOf(read);
    }

    @Test
    void defaultsFollowOpenSsh() {
        SshSettings s = SshSettings.defaults();

        assertThat(s.hostKeyChecking()).isEqualTo(HostKeyChecking.STRICT);
        assertThat(s.knownHostsFiles()).isEmpty();
        assertThat(s.identityFiles()).isEmpty();
        assertThat(s.password()).isNull();
        assertThat(s.user()).isNull();
        assertThat(s.configFile()).isEqualTo(HOME.resolve(".ssh/config"));
        assertThat(s.gateway()).isNull();
        assertThat(s.maxSessions()).isEqualTo(10);
        assertThat(s.maxConnectionsPerHost()).isEqualTo(2);
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.commandTimeout()).isNull();
        assertThat(s.keepaliveInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(s.keepaliveCountMax()).isEqualTo(3);
        assertThat(s.persistentShell()).isFalse();
        assertThat(s.userKnownHosts()).isEqualTo(HOME.resolve(".ssh/known_hosts"));
        assertThat(s.allKnownHostsFiles()).containsExactly(HOME.resolve(".ssh/known_hosts"),
                Path.of("/etc/ssh/ssh_known_hosts"));
        assertThat(s.knownHostsToUpdate()).isEqualTo(HOME.resolve(".ssh/known_hosts"));
    }

    @Test
    void aPasswordGivenAsCharactersIsItsText() {
        variables.put("ssh_password", "s3cretPw".toCharArray()); // what Console.readPassword returns
        assertThat(SshSettings.from(variables::get).password()).isEqualTo("s3cretPw");
    }

    @Test
    void coercesNumbersGivenAsNumbersOrStrings() {
        variables.put("max_sessions", 4L);
        variables.put("max_connections_per_host", "3");
        variables.put("connect_timeout", "2.5");
        variables.put("command_timeout", 600);
        variables.put("keepalive_interval", "0");
        variables.put("keepalive_count_max", 5.0);

        SshSettings s = settings();

        assertThat(s.maxSessions()).isEqualTo(4);
        assertThat(s.maxConnectionsPerHost()).isEqualTo(3);
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofMillis(2500));
        assertThat(s.commandTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.keepaliveInterval()).isZero();
        assertThat(s.keepaliveCountMax()).isEqualTo(5);
    }

    @Test
    void readsFilesAsOnePathOrAListWithHomeExpanded() {
        variables.put("ssh_known_hosts", List.of("~/extra_hosts", "/etc/ssh/ssh_known_hosts"));
        variables.put("ssh_identity", "~/.ssh/deploy_key");
        variables.put("ssh_config", "none");

        SshSettings s = settings();

        assertThat(s.knownHostsFiles())
                .containsExactly(HOME.resolve("extra_hosts"), Path.of("/etc/ssh/ssh_known_hosts"));
        assertThat(s.identityFiles()).containsExactly(HOME.resolve(".ssh/deploy_key"));
        assertThat(s.configFile()).isNull();
        assertThat(s.knownHostsToUpdate()).isEqualTo(HOME.resolve("extra_hosts"));
        assertThat(s.allKnownHostsFiles()).containsExactly(HOME.resolve(".ssh/known_hosts"),
                HOME.resolve("extra_hosts"), Path.of("/etc/ssh/ssh_known_hosts"));
    }

    @Test
    void readsHostKeyCheckingGatewayUserAndPassword() {
        variables.put("host_key_checking", "accept-new");
        variables.put("gateway", "jump@bastion.example.com:2222");
        variables.put("ssh_user", "deploy");
        variables.put("ssh_password", "s3cret");

        SshSettings s = settings();

        assertThat(s.hostKeyChecking()).isEqualTo(HostKeyChecking.ACCEPT_NEW);
        assertThat(s.gateway()).isEqualTo(Server.parse("jump@bastion.example.com:2222"));
        assertThat(s.user()).isEqualTo("deploy");
        assertThat(s.password()).isEqualTo("s3cret");
        assertThat(s.toString()).doesNotContain("s3cret");
    }

    @Test
    void persistentShellIsABooleanGivenAsOneOrAsText() {
        variables.put("ssh_persistent_shell", true);
        assertThat(settings().persistentShell()).isTrue();
        variables.put("ssh_persistent_shell", " Yes ");
        assertThat(settings().persistentShell()).isTrue();
        variables.put("ssh_persistent_shell", "false");
        assertThat(settings().persistentShell()).isFalse();
        assertThat(settings().withUserSshDir(HOME).withUserKnownHosts(HOME).withAgentSocket(null).persistentShell())
                .isFalse();
        variables.put("ssh_persistent_shell", "on");
        assertThat(settings().withUserSshDir(HOME).withUserKnownHosts(HOME).withAgentSocket(null).persistentShell())
                .isTrue();
    }

    @Test
    void booleansStandForStrictAndOff() {
        assertThat(HostKeyChecking.parse(true)).isEqualTo(HostKeyChecking.STRICT);
        assertThat(HostKeyChecking.parse("false")).isEqualTo(HostKeyChecking.OFF);
        assertThat(HostKeyChecking.parse(" OFF ")).isEqualTo(HostKeyChecking.OFF);
    }

    @Test
    void badValuesAreRejectedNamingTheVariable() {
        assertRejected("max_sessions", "ten", "max_sessions must be a whole number, got 'ten'");
        assertRejected("max_sessions", 0, "max_sessions must be at least 1, got 0");
        assertRejected("max_connections_per_host", "1.5", "max_connections_per_host must be a whole number, got '1.5'");
        assertRejected("connect_timeout", "soon", "connect_timeout must be a number of seconds, got 'soon'");
        assertRejected("connect_timeout", 0, "connect_timeout must be more than zero seconds, got 0");
        assertRejected("keepalive_interval", -1, "keepalive_interval must be zero or more seconds, got -1");
        assertRejected("host_key_checking", "maybe",
                "host_key_checking must be strict, accept-new or off, got 'maybe'");
        assertRejected("gateway", "bad host!", "gateway: malformed host 'bad host!': expected [user@]host[:port]");
        assertRejected("ssh_config", " ", "ssh_config must be a file or 'none', got an empty value");
        assertRejected("ssh_persistent_shell", "sometimes", "ssh_persistent_shell must be true or false, got 'sometimes'");
    }

    private void assertRejected(String name, Object value, String message) {
        variables.clear();
        variables.put(name, value);
        assertThatThrownBy(this::settings).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    private SshSettings settings() {
        return SshSettings.from(variables::get);
    }
}
