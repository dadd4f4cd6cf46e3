package dev.capstan.testkit.fleet;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Collections;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.file.root.RootedFileSystemProvider;

import dev.capstan.testkit.fleet.sh.DiskFs;
import dev.capstan.testkit.fleet.sh.HostFs;
import dev.capstan.testkit.fleet.sh.Shell;

/**
 * One simulated host of a {@link SimulatedFleet}: its own address, host key and file system. What it runs is emulated
 * by {@link Shell}; how it is reached is {@link #spec()} with {@link SimulatedFleet#identityFile()}, trusting
 * {@link SimulatedFleet#knownHostsFile()}. All methods are thread-safe.
 */
public final class FleetHost {

    private final int index;
    private final String name;
    private final InetSocketAddress address;
    private final String user;
    private final KeyPair hostKey;
    private final HostFs fs;
    private final Shell.Host shellHost;
    private final AtomicLong commands = new AtomicLong();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private volatile String forcedCommand;

    FleetHost(int index, String name, InetSocketAddress address, String user, KeyPair hostKey, HostFs fs,
            long bootMillis) {
        this.index = index;
        this.name = name;
        this.address = address;
        this.user = user;
        this.hostKey = hostKey;
        this.fs = fs;
        this.shellHost = new Shell.Host(name, fs, bootMillis);
    }

    /** @return 0-based position in the fleet */
    public int index() {
        return index;
    }

    /** @return the host's name, {@code host1} ... {@code hostN}; what {@code hostname} prints on it */
    public String name() {
        return name;
    }

    /** @return the IP address it listens on, {@code 127.0.0.1} or (spread) {@code 127.0.x.y} */
    public String address() {
        return address.getAddress().getHostAddress();
    }

    /** @return the TCP port it listens on */
    public int port() {
        return address.getPort();
    }

    /** @return {@code user@address:port}, a capstan server spec (also pssh's host syntax) */
    public String spec() {
        return user + "@" + address() + ":" + port();
    }

    /** @return the OpenSSH known_hosts line for this host: {@code [127.0.0.1]:PORT ssh-ed25519 AAAA...} */
    public String knownHostsLine() {
        String where = port() == 22 ? address() : "[" + address() + "]:" + port();
        return where + " " + PublicKeyEntry.toString(hostKey.getPublic());
    }

    /** @return the host's public key */
    public PublicKey hostKey() {
        return hostKey.getPublic();
    }

    /** @return the host's file system, to prepare or inspect files */
    public HostFs files() {
        return fs;
    }

    /** @return the real directory that stands for the host's {@code /} with {@code fs=disk}, else null */
    public Path root() {
        return fs instanceof DiskFs disk ? disk.root() : null;
    }

    /** @return exec and shell channels started on this host */
    /**
     * Makes every exec and shell channel run {@code command} instead of what the client asked for, with the request in
     * {@code SSH_ORIGINAL_COMMAND}, as sshd's {@code ForceCommand} (or {@code command="..."} in authorized_keys) does
     * for a restricted account.
     *
     * @param command the command to run, or {@code null} to run what is asked again
     */
    public void forceCommand(String command) {
        forcedCommand = command;
    }

    /** @return the command every channel runs instead of the requested one, or null */
    String forcedCommand() {
        return forcedCommand;
    }

    public long commandsRun() {
        return commands.get();
    }

    /** @return SSH connections accepted so far */
    public int connectionsAccepted() {
        return connections.get();
    }

    /** @return SSH connections open now */
    public int openConnections() {
        return open.get();
    }

    @Override
    public String toString() {
        return "FleetHost[" + name + " " + spec() + "]";
    }

    KeyPair keyPair() {
        return hostKey;
    }

    InetSocketAddress socketAddress() {
        return address;
    }

    Shell.Host shellHost() {
        return shellHost;
    }

    void commandStarted() {
        commands.incrementAndGet();
    }

    void connected() {
        connections.incrementAndGet();
        open.incrementAndGet();
    }

    void disconnected() {
        open.decrementAndGet();
    }

    /**
     * A new view of the host's root as a java.nio file system, for one SFTP subsystem ({@code /} is the host's
     * {@code /}). A new one each time: the subsystem closes it when it ends, and several may be open at once (each
     * provider holds one file system per root).
     */
    FileSystem sftpView() throws IOException {
        return new RootedFileSystemProvider().newFileSystem(root(), Collections.emptyMap());
    }
}
