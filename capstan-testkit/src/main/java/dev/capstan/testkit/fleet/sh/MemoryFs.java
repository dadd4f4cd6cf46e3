package dev.capstan.testkit.fleet.sh;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A host file system held in memory: a sorted map from canonical path to node. A fresh one holds {@code /},
 * {@code /tmp} and {@code /home}. Cheap enough for thousands of hosts: an empty one is well under a kilobyte.
 */
public final class MemoryFs extends ResolvingFs {

    private static final byte[] EMPTY = new byte[0];

    /** One file, directory or link. Mutable state is guarded by the owning MemoryFs. */
    private static final class Node {
        final Type type;
        final TreeSet<String> children; // directories only
        final String target;            // links only
        byte[] data = EMPTY;            // files only
        int length;
        long modified = System.currentTimeMillis();
        int mode;

        Node(Type type, String target, int mode) {
            this.type = type;
            this.children = type == Type.DIRECTORY ? new TreeSet<>() : null;
            this.target = target;
            this.mode = mode;
        }
    }

    private final TreeMap<String, Node> nodes = new TreeMap<>();

    /** An empty file system with {@code /}, {@code /tmp} (mode 1777) and {@code /home}. */
    public MemoryFs() {
        nodes.put("/", new Node(Type.DIRECTORY, null, 0755));
        put("/tmp", new Node(Type.DIRECTORY, null, 01777));
        put("/home", new Node(Type.DIRECTORY, null, 0755));
    }

    private void put(String canonical, Node node) {
        nodes.put(canonical, node);
        Node parent = nodes.get(parentOf(canonical));
        parent.children.add(nameOf(canonical));
        parent.modified = System.currentTimeMillis();
    }

    private Node node(String canonical) throws FsException {
        Node n = nodes.get(canonical);
        if (n == null) {
            throw new FsException(FsException.Errno.ENOENT, canonical);
        }
        return n;
    }

    @Override
    protected Stat rawLstat(String canonical) {
        Node n = nodes.get(canonical);
        if (n == null) {
            return null;
        }
        long size = switch (n.type) {
            case FILE -> n.length;
            case DIRECTORY -> 4096;
            case SYMLINK -> n.target.length();
        };
        return new Stat(n.type, size, n.modified, n.mode);
    }

    @Override
    protected String rawReadlink(String canonical) throws FsException {
        return node(canonical).target;
    }

    @Override
    protected List<String> rawList(String canonicalDir) throws FsException {
        return new ArrayList<>(node(canonicalDir).children);
    }

    @Override
    protected void rawMkdir(String canonical) {
        put(canonical, new Node(Type.DIRECTORY, null, 0755));
    }

    @Override
    protected InputStream rawOpenRead(String canonical) throws FsException {
        Node n = node(canonical);
        return new ByteArrayInputStream(Arrays.copyOf(n.data, n.length));
    }

    @Override
    protected OutputStream rawOpenWrite(String canonical, WriteMode mode) {
        Node n = nodes.get(canonical);
        if (n == null) {
            n = new Node(Type.FILE, null, 0644);
            put(canonical, n);
        } else if (mode == WriteMode.TRUNCATE) {
            n.length = 0;
            n.data = EMPTY;
            n.modified = System.currentTimeMillis();
        }
        return new NodeOutput(n, mode == WriteMode.APPEND);
    }

    @Override
    protected void rawDelete(String canonical) throws FsException {
        node(canonical);
        nodes.remove(canonical);
        Node parent = nodes.get(parentOf(canonical));
        parent.children.remove(nameOf(canonical));
        parent.modified = System.currentTimeMillis();
    }

    @Override
    protected void rawRename(String from, String to) throws FsException {
        if (nodes.containsKey(to)) {
            rawDelete(to); // an empty directory or a non-directory, checked by the caller
        }
        Node moved = node(from);
        // the subtree's keys all start with from + "/"; '0' is the character right after '/'
        NavigableMap<String, Node> below = nodes.subMap(from + "/", true, from + "0", false);
        Map<String, Node> descendants = new TreeMap<>(below);
        below.clear();
        rawDelete(from);
        put(to, moved);
        descendants.forEach((path, n) -> nodes.put(to + path.substring(from.length()), n));
    }

    @Override
    protected void rawSymlink(String target, String canonical) {
        put(canonical, new Node(Type.SYMLINK, target, 0777));
    }

    @Override
    protected void rawSetModified(String canonical, long millis) throws FsException {
        node(canonical).modified = millis;
    }

    @Override
    protected void rawChmod(String canonical, int mode) throws FsException {
        node(canonical).mode = mode & 07777;
    }

    /** Writes straight into a node, under the file system's lock, like writes to an open file descriptor. */
    private final class NodeOutput extends OutputStream {
        private final Node node;
        private final boolean append;
        private int position;

        NodeOutput(Node node, boolean append) {
            this.node = node;
            this.append = append;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            synchronized (MemoryFs.this) {
                int at = append ? node.length : position;
                long end = (long) at + len;
                if (end > Integer.MAX_VALUE - 16) {
                    throw new IOException("File too large");
                }
                if (end > node.data.length) {
                    node.data = Arrays.copyOf(node.data, (int) Math.max(end, Math.min(Integer.MAX_VALUE - 16,
                            Math.max(64, node.data.length * 2L))));
                }
                System.arraycopy(b, off, node.data, at, len);
                node.length = Math.max(node.length, (int) end);
                position = (int) end;
                node.modified = System.currentTimeMillis();
            }
        }
    }
}
