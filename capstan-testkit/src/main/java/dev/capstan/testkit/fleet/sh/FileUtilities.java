package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import dev.capstan.testkit.fleet.sh.FsException.Errno;
import dev.capstan.testkit.fleet.sh.HostFs.Stat;
import dev.capstan.testkit.fleet.sh.HostFs.WriteMode;

/** Utilities that work on files: cat, mkdir, rm, ln, mv, cp, ls, readlink, touch, chmod, ... (GNU coreutils style). */
final class FileUtilities {

    private FileUtilities() {
    }

    static void register(Map<String, Utility> map) {
        map.put("cat", FileUtilities::cat);
        map.put("mkdir", FileUtilities::mkdir);
        map.put("rmdir", FileUtilities::rmdir);
        map.put("rm", FileUtilities::rm);
        map.put("touch", FileUtilities::touch);
        map.put("ln", FileUtilities::ln);
        map.put("mv", FileUtilities::mv);
        map.put("cp", FileUtilities::cp);
        map.put("readlink", FileUtilities::readlink);
        map.put("realpath", FileUtilities::realpath);
        map.put("ls", FileUtilities::ls);
        map.put("chmod", FileUtilities::chmod);
        map.put("chown", FileUtilities::chown);
        map.put("chgrp", FileUtilities::chown);
        map.put("mktemp", FileUtilities::mktemp);
        map.put("tee", FileUtilities::tee);
        map.put("stat", FileUtilities::stat);
        map.put("sha256sum", p -> digest(p, "SHA-256"));
        map.put("sha1sum", p -> digest(p, "SHA-1"));
        map.put("md5sum", p -> digest(p, "MD5"));
    }

    static String q(String s) {
        return "'" + s + "'";
    }

    static String basename(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        int slash = p.lastIndexOf('/');
        return slash < 0 || p.equals("/") ? p : p.substring(slash + 1);
    }

    static String child(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }

    private static int cat(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("uAEnsTv", "");
        int status = 0;
        for (String file : o.operands.isEmpty() ? List.of("-") : o.operands) {
            if (file.equals("-")) {
                p.in.transferTo(p.out);
                continue;
            }
            Stat s = p.fs().stat(p.abs(file));
            if (s == null) {
                status = p.fail(file + ": No such file or directory");
                continue;
            }
            if (s.isDirectory()) {
                status = p.fail(file + ": Is a directory");
                continue;
            }
            try (InputStream in = p.fs().openRead(p.abs(file))) {
                in.transferTo(p.out);
            }
        }
        return status;
    }

    private static int mkdir(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("pv", "m", Map.of("parents", 'p', "verbose", 'v', "mode=", 'm'));
        if (o.operands.isEmpty()) {
            throw new Proc.Usage("missing operand", 1);
        }
        int mode = o.value('m') == null ? -1 : Integer.parseInt(o.value('m'), 8);
        int status = 0;
        for (String dir : o.operands) {
            String path = p.abs(dir);
            try {
                if (o.has('p')) {
                    mkdirs(p.fs(), path, dir);
                } else {
                    p.fs().mkdir(path);
                }
                if (mode >= 0) {
                    p.fs().chmod(path, mode);
                }
            } catch (FsException e) {
                status = p.fail("cannot create directory " + q(dir) + ": " + e.getMessage());
            }
        }
        return status;
    }

    /** {@code mkdir -p}: creates every missing directory on the way; an existing directory is fine. */
    static void mkdirs(HostFs fs, String path, String shown) throws FsException {
        Stat existing = fs.stat(path);
        if (existing != null) {
            if (!existing.isDirectory()) {
                throw new FsException(Errno.EEXIST, shown);
            }
            return;
        }
        StringBuilder prefix = new StringBuilder();
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            prefix.append('/').append(part);
            String current = prefix.toString();
            Stat s = fs.stat(current);
            if (s == null) {
                try {
                    fs.mkdir(current);
                } catch (FsException e) {
                    if (e.errno() != Errno.EEXIST || fs.stat(current) == null || !fs.stat(current).isDirectory()) {
                        throw e;
                    }
                }
            } else if (!s.isDirectory() && !part.equals("..") && !part.equals(".")) {
                throw new FsException(Errno.ENOTDIR, shown);
            }
        }
    }

    private static int rmdir(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("pv", "", Map.of("ignore-fail-on-non-empty", 'i'));
        int status = 0;
        for (String dir : o.operands) {
            String path = p.abs(dir);
            Stat s = p.fs().lstat(path);
            try {
                if (s == null) {
                    throw new FsException(Errno.ENOENT, dir);
                }
                if (!s.isDirectory()) {
                    throw new FsException(Errno.ENOTDIR, dir);
                }
                p.fs().delete(path);
            } catch (FsException e) {
                if (!(e.errno() == Errno.ENOTEMPTY && o.has('i'))) {
                    status = p.fail("failed to remove " + q(dir) + ": " + e.getMessage());
                }
            }
        }
        return status;
    }

    private static int rm(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("rRfdivI", "", Map.of("recursive", 'r', "force", 'f', "dir", 'd', "verbose", 'v',
                "no-preserve-root", 'N', "preserve-root", 'P'));
        boolean recursive = o.has('r') || o.has('R');
        boolean force = o.has('f');
        if (o.operands.isEmpty()) {
            if (force) {
                return 0;
            }
            throw new Proc.Usage("missing operand", 1);
        }
        int status = 0;
        for (String name : o.operands) {
            String base = basename(name);
            if (base.equals(".") || base.equals("..")) {
                status = p.fail("refusing to remove '.' or '..' directory: skipping " + q(name));
                continue;
            }
            String path = p.abs(name);
            if (recursive && Builtins.normalize(path).equals("/") && !o.has('N')) {
                p.error("it is dangerous to operate recursively on '/'");
                status = p.fail("use --no-preserve-root to override this failsafe");
                continue;
            }
            Stat s = p.fs().lstat(path);
            if (s == null) {
                if (!force) {
                    status = p.fail("cannot remove " + q(name) + ": No such file or directory");
                }
                continue;
            }
            if (s.isDirectory() && !recursive) {
                if (o.has('d')) {
                    try {
                        p.fs().delete(path);
                    } catch (FsException e) {
                        status = p.fail("cannot remove " + q(name) + ": " + e.getMessage());
                    }
                } else {
                    status = p.fail("cannot remove " + q(name) + ": Is a directory");
                }
                continue;
            }
            if (!removeTree(p, path, name)) {
                status = 1;
            }
            if (o.has('v')) {
                p.println("removed " + q(name));
            }
        }
        return status;
    }

    private static boolean removeTree(Proc p, String path, String shown) throws IOException {
        Stat s = p.fs().lstat(path);
        if (s == null) {
            return true;
        }
        boolean ok = true;
        if (s.isDirectory()) {
            for (String name : p.fs().list(path)) {
                ok &= removeTree(p, child(path, name), child(shown, name));
            }
        }
        try {
            p.fs().delete(path);
        } catch (FsException e) {
            p.fail("cannot remove " + q(shown) + ": " + e.getMessage());
            return false;
        }
        return ok;
    }

    private static int touch(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("cahmf", "dtr", Map.of("no-create", 'c', "date=", 'd', "reference=", 'r'));
        if (o.operands.isEmpty()) {
            throw new Proc.Usage("missing file operand", 1);
        }
        long when = System.currentTimeMillis();
        if (o.value('r') != null) {
            Stat ref = p.fs().stat(p.abs(o.value('r')));
            if (ref == null) {
                return p.fail("failed to get attributes of " + q(o.value('r')) + ": No such file or directory");
            }
            when = ref.modifiedMillis();
        } else if (o.value('d') != null && o.value('d').startsWith("@")) {
            when = (long) (Double.parseDouble(o.value('d').substring(1)) * 1000);
        }
        int status = 0;
        for (String file : o.operands) {
            String path = p.abs(file);
            try {
                if (p.fs().stat(path) == null) {
                    if (o.has('c')) {
                        continue;
                    }
                    p.fs().openWrite(path, WriteMode.APPEND).close();
                }
                p.fs().setModified(path, when);
            } catch (FsException e) {
                status = p.fail("cannot touch " + q(file) + ": " + e.getMessage());
            }
        }
        return status;
    }

    /** The paths {@code (source, destination)} for ln, mv and cp given their operands and options. */
    private record Move(String source, String destination) {
    }

    private static List<Move> targets(Proc p, Proc.Opts o, boolean followDestination) throws Proc.Usage {
        List<String> ops = o.operands;
        List<Move> moves = new ArrayList<>();
        String dir = o.value('t');
        if (dir != null) {
            for (String source : ops) {
                moves.add(new Move(source, child(dir, basename(source))));
            }
            return moves;
        }
        if (ops.isEmpty()) {
            throw new Proc.Usage("missing file operand", 1);
        }
        if (ops.size() == 1) {
            if (p.name().equals("ln")) {
                moves.add(new Move(ops.get(0), basename(ops.get(0))));
                return moves;
            }
            throw new Proc.Usage("missing destination file operand after " + q(ops.get(0)), 1);
        }
        String destination = ops.get(ops.size() - 1);
        List<String> sources = ops.subList(0, ops.size() - 1);
        if (o.has('T')) {
            if (sources.size() > 1) {
                throw new Proc.Usage("extra operand " + q(ops.get(2)), 1);
            }
            moves.add(new Move(sources.get(0), destination));
            return moves;
        }
        String destPath = p.abs(destination);
        Stat d = followDestination ? p.fs().stat(destPath) : p.fs().lstat(destPath);
        boolean isDir = d != null && d.isDirectory();
        if (sources.size() > 1 && !isDir) {
            throw new Proc.Usage("target " + q(destination) + " is not a directory", 1);
        }
        for (String source : sources) {
            moves.add(new Move(source, isDir ? child(destination, basename(source)) : destination));
        }
        return moves;
    }

    private static int ln(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("sfnTvbirLP", "t", Map.of("symbolic", 's', "force", 'f', "no-dereference", 'n',
                "no-target-directory", 'T', "verbose", 'v', "target-directory=", 't', "relative", 'r'));
        int status = 0;
        for (Move m : targets(p, o, !o.has('n'))) {
            String link = p.abs(m.destination());
            String kind = o.has('s') ? "symbolic link" : "hard link";
            Stat existing = p.fs().lstat(link);
            try {
                if (existing != null) {
                    if (!o.has('f')) {
                        status = p.fail("failed to create " + kind + " " + q(m.destination()) + ": File exists");
                        continue;
                    }
                    if (existing.isDirectory()) {
                        status = p.fail(q(m.destination()) + ": cannot overwrite directory");
                        continue;
                    }
                    p.fs().delete(link);
                }
                if (o.has('s')) {
                    p.fs().symlink(m.source(), link);
                } else {
                    // a hard link is emulated by a copy: nothing here can tell the difference but link counts
                    Stat source = p.fs().stat(p.abs(m.source()));
                    if (source == null) {
                        throw new FsException(Errno.ENOENT, m.source());
                    }
                    if (source.isDirectory()) {
                        status = p.fail(q(m.source()) + ": hard link not allowed for directory");
                        continue;
                    }
                    copyFile(p.fs(), p.abs(m.source()), link, true);
                }
            } catch (FsException e) {
                status = p.fail("failed to create " + kind + " " + q(m.destination()) + ": " + e.getMessage());
            }
        }
        return status;
    }

    private static int mv(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("fTnivbu", "t", Map.of("force", 'f', "no-target-directory", 'T', "no-clobber", 'n',
                "verbose", 'v', "target-directory=", 't'));
        int status = 0;
        for (Move m : targets(p, o, true)) {
            String from = p.abs(m.source());
            String to = p.abs(m.destination());
            if (p.fs().lstat(from) == null) {
                status = p.fail("cannot stat " + q(m.source()) + ": No such file or directory");
                continue;
            }
            if (o.has('n') && p.fs().lstat(to) != null) {
                continue;
            }
            try {
                p.fs().rename(from, to);
            } catch (FsException e) {
                String why = switch (e.errno()) {
                    case EISDIR -> "cannot overwrite directory " + q(m.destination()) + " with non-directory";
                    case ENOTDIR -> "cannot overwrite non-directory " + q(m.destination()) + " with directory "
                            + q(m.source());
                    case EINVAL -> "cannot move " + q(m.source()) + " to a subdirectory of itself, "
                            + q(m.destination());
                    default -> "cannot move " + q(m.source()) + " to " + q(m.destination()) + ": " + e.getMessage();
                };
                status = p.fail(why);
            }
        }
        return status;
    }

    private static int cp(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("rRaPpfTdLnvuHl", "t", Map.of("recursive", 'r', "archive", 'a', "force", 'f',
                "no-target-directory", 'T', "target-directory=", 't', "preserve", 'p', "no-dereference", 'P',
                "dereference", 'L', "verbose", 'v', "no-clobber", 'n'));
        boolean recursive = o.has('r') || o.has('R') || o.has('a');
        boolean noDeref = !o.has('L') && (recursive || o.has('P') || o.has('d'));
        boolean preserve = o.has('a') || o.has('p');
        int status = 0;
        for (Move m : targets(p, o, true)) {
            if (o.has('n') && p.fs().lstat(p.abs(m.destination())) != null) {
                continue;
            }
            if (!copy(p, p.abs(m.source()), p.abs(m.destination()), m.source(), m.destination(), recursive,
                    noDeref, preserve)) {
                status = 1;
            }
        }
        return status;
    }

    private static boolean copy(Proc p, String from, String to, String shownFrom, String shownTo, boolean recursive,
            boolean noDeref, boolean preserve) throws IOException {
        HostFs fs = p.fs();
        Stat s = noDeref ? fs.lstat(from) : fs.stat(from);
        if (s == null) {
            p.fail("cannot stat " + q(shownFrom) + ": No such file or directory");
            return false;
        }
        try {
            if (s.isSymlink()) {
                Stat existing = fs.lstat(to);
                if (existing != null && !existing.isDirectory()) {
                    fs.delete(to);
                }
                fs.symlink(fs.readlink(from), to);
                return true;
            }
            if (s.isDirectory()) {
                if (!recursive) {
                    p.fail("-r not specified; omitting directory " + q(shownFrom));
                    return false;
                }
                String fromReal = fs.resolve(from);
                String toReal = fs.resolve(to);
                if (toReal.equals(fromReal) || toReal.startsWith(fromReal + "/")) {
                    p.fail("cannot copy a directory, " + q(shownFrom) + ", into itself, " + q(shownTo));
                    return false;
                }
                Stat d = fs.stat(to);
                if (d == null) {
                    fs.mkdir(to);
                } else if (!d.isDirectory()) {
                    p.fail("cannot overwrite non-directory " + q(shownTo) + " with directory " + q(shownFrom));
                    return false;
                }
                boolean ok = true;
                for (String name : fs.list(from)) {
                    ok &= copy(p, child(from, name), child(to, name), child(shownFrom, name), child(shownTo, name),
                            true, noDeref, preserve);
                }
                if (preserve) {
                    fs.chmod(to, s.mode());
                    fs.setModified(to, s.modifiedMillis());
                }
                return ok;
            }
            Stat d = fs.stat(to);
            if (d != null && d.isDirectory()) {
                p.fail("cannot overwrite directory " + q(shownTo) + " with non-directory");
                return false;
            }
            copyFile(fs, from, to, preserve);
            return true;
        } catch (FsException e) {
            p.fail("cannot create " + q(shownTo) + ": " + e.getMessage());
            return false;
        }
    }

    static void copyFile(HostFs fs, String from, String to, boolean preserve) throws IOException {
        boolean existed = fs.stat(to) != null;
        try (InputStream in = fs.openRead(from); OutputStream out = fs.openWrite(to, WriteMode.TRUNCATE)) {
            in.transferTo(out);
        }
        Stat s = fs.stat(from);
        if (s != null && (preserve || !existed)) {
            fs.chmod(to, s.mode());
            if (preserve) {
                fs.setModified(to, s.modifiedMillis());
            }
        }
    }

    private static int readlink(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("femnqsvz", "", Map.of("canonicalize", 'f', "canonicalize-existing", 'e',
                "canonicalize-missing", 'm', "no-newline", 'n', "quiet", 'q', "silent", 's', "verbose", 'v'));
        if (o.operands.isEmpty()) {
            throw new Proc.Usage("missing operand", 1);
        }
        int status = 0;
        for (String name : o.operands) {
            String path = p.abs(name);
            String result = null;
            try {
                if (o.has('f') || o.has('e') || o.has('m')) {
                    result = o.has('m') ? canonicalMissing(p.fs(), path) : p.fs().resolve(path);
                    if (o.has('e') && p.fs().stat(result) == null) {
                        result = null;
                    }
                } else {
                    result = p.fs().readlink(path);
                }
            } catch (FsException e) {
                if (o.has('v')) {
                    p.error(name + ": " + e.getMessage());
                }
            }
            if (result == null) {
                status = 1;
                continue;
            }
            p.print(o.has('n') ? result : result + "\n");
        }
        return status;
    }

    /** {@code readlink -m}: resolves what exists, then appends the rest lexically. */
    private static String canonicalMissing(HostFs fs, String path) {
        String normalized = Builtins.normalize(path);
        String existing = normalized;
        String rest = "";
        while (!existing.equals("/")) {
            try {
                String resolved = fs.resolve(existing);
                return Builtins.normalize(resolved + rest);
            } catch (FsException e) {
                int slash = existing.lastIndexOf('/');
                rest = existing.substring(slash) + rest;
                existing = slash == 0 ? "/" : existing.substring(0, slash);
            }
        }
        return Builtins.normalize("/" + rest);
    }

    private static int realpath(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("emsqLPz", "", Map.of("canonicalize-existing", 'e', "canonicalize-missing", 'm',
                "no-symlinks", 's', "quiet", 'q'));
        int status = 0;
        for (String name : o.operands.isEmpty() ? List.of(".") : o.operands) {
            String path = p.abs(name);
            try {
                String result;
                if (o.has('s')) {
                    result = Builtins.normalize(path);
                } else if (o.has('m')) {
                    result = canonicalMissing(p.fs(), path);
                } else {
                    result = p.fs().resolve(path);
                    if (o.has('e') && p.fs().stat(result) == null) {
                        throw new FsException(Errno.ENOENT, name);
                    }
                }
                p.println(result);
            } catch (FsException e) {
                status = 1;
                if (!o.has('q')) {
                    p.error(name + ": " + e.getMessage());
                }
            }
        }
        return status;
    }

    private static final DateTimeFormatter LS_DATE = DateTimeFormatter.ofPattern("MMM ppd HH:mm", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);

    private static int ls(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("1aAldFtrRSpUhiCx", "", Map.of("all", 'a', "almost-all", 'A', "directory", 'd',
                "classify", 'F', "reverse", 'r', "recursive", 'R'));
        List<String> operands = o.operands.isEmpty() ? List.of(".") : o.operands;
        List<String> files = new ArrayList<>();
        List<String> dirs = new ArrayList<>();
        int status = 0;
        for (String name : operands) {
            String path = p.abs(name);
            Stat link = p.fs().lstat(path);
            if (link == null) {
                p.error("cannot access " + q(name) + ": No such file or directory");
                status = 2;
                continue;
            }
            Stat s = link.isSymlink() && !o.has('l') && !o.has('d') ? p.fs().stat(path) : link;
            if (s != null && s.isDirectory() && !o.has('d')) {
                dirs.add(name);
            } else {
                files.add(name);
            }
        }
        sortNames(p, files, o, null);
        for (String f : files) {
            p.println(entry(p, f, p.abs(f), o));
        }
        sortNames(p, dirs, o, null);
        boolean headers = operands.size() > 1 || o.has('R');
        boolean first = files.isEmpty();
        for (String d : dirs) {
            if (!listDirectory(p, d, o, headers, first)) {
                status = 2;
            }
            first = false;
        }
        return status;
    }

    private static boolean listDirectory(Proc p, String shown, Proc.Opts o, boolean header, boolean first)
            throws IOException {
        String path = p.abs(shown);
        List<String> names;
        try {
            names = new ArrayList<>(p.fs().list(path));
        } catch (FsException e) {
            p.error("cannot open directory " + q(shown) + ": " + e.getMessage());
            return false;
        }
        if (o.has('a')) {
            names.add(0, "..");
            names.add(0, ".");
        } else if (!o.has('A')) {
            names.removeIf(n -> n.startsWith("."));
        }
        sortNames(p, names, o, path);
        if (header) {
            p.println((first ? "" : "\n") + shown + ":");
        }
        if (o.has('l')) {
            long blocks = 0;
            for (String n : names) {
                Stat s = p.fs().lstat(child(path, n));
                blocks += s == null ? 0 : (s.size() + 4095) / 4096 * 4;
            }
            p.println("total " + blocks);
        }
        for (String n : names) {
            p.println(entry(p, n, child(path, n), o));
        }
        if (o.has('R')) {
            for (String n : names) {
                Stat s = p.fs().lstat(child(path, n));
                if (s != null && s.isDirectory() && !n.equals(".") && !n.equals("..")) {
                    listDirectory(p, child(shown, n), o, true, false);
                }
            }
        }
        return true;
    }

    private static void sortNames(Proc p, List<String> names, Proc.Opts o, String dir) {
        if (o.has('U')) {
            return;
        }
        Comparator<String> order = Comparator.naturalOrder();
        if (o.has('t') || o.has('S')) {
            Comparator<String> key = Comparator.comparingLong(n -> {
                Stat s = p.fs().lstat(dir == null ? p.abs(n) : child(dir, n));
                return s == null ? 0 : o.has('t') ? s.modifiedMillis() : s.size();
            });
            order = key.reversed().thenComparing(Comparator.naturalOrder());
        }
        names.sort(o.has('r') ? order.reversed() : order);
    }

    private static String entry(Proc p, String name, String path, Proc.Opts o) {
        Stat s = p.fs().lstat(path);
        String suffix = "";
        if ((o.has('F') || o.has('p')) && s != null) {
            if (s.isDirectory()) {
                suffix = "/";
            } else if (o.has('F') && s.isSymlink()) {
                suffix = "@";
            } else if (o.has('F') && (s.mode() & 0111) != 0) {
                suffix = "*";
            }
        }
        if (!o.has('l') || s == null) {
            return name + suffix;
        }
        String user = p.state.get("USER") == null ? "root" : p.state.get("USER");
        String target = "";
        if (s.isSymlink()) {
            try {
                target = " -> " + p.fs().readlink(path);
            } catch (FsException e) {
                target = "";
            }
        }
        return String.format(Locale.ROOT, "%s %d %s %s %5d %s %s%s", modeString(s), s.isDirectory() ? 2 : 1, user,
                user, s.size(), LS_DATE.format(Instant.ofEpochMilli(s.modifiedMillis())), name + suffix, target);
    }

    static String modeString(Stat s) {
        StringBuilder sb = new StringBuilder(s.isDirectory() ? "d" : s.isSymlink() ? "l" : "-");
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            sb.append((s.mode() & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        }
        return sb.toString();
    }

    private static int chmod(Proc p) throws IOException, Proc.Usage {
        List<String> args = new ArrayList<>(p.args.subList(1, p.args.size()));
        boolean recursive = args.remove("-R") | args.remove("--recursive");
        args.removeIf(a -> a.equals("-v") || a.equals("-f") || a.equals("-c"));
        if (args.size() < 2) {
            throw new Proc.Usage("missing operand", 1);
        }
        String mode = args.get(0);
        int status = 0;
        for (String file : args.subList(1, args.size())) {
            String path = p.abs(file);
            if (!chmodPath(p, path, file, mode, recursive)) {
                status = 1;
            }
        }
        return status;
    }

    private static boolean chmodPath(Proc p, String path, String shown, String mode, boolean recursive)
            throws IOException, Proc.Usage {
        Stat s = p.fs().stat(path);
        if (s == null) {
            p.fail("cannot access " + q(shown) + ": No such file or directory");
            return false;
        }
        p.fs().chmod(path, applyMode(s, mode));
        boolean ok = true;
        if (recursive && s.isDirectory()) {
            for (String name : p.fs().list(path)) {
                Stat c = p.fs().lstat(child(path, name));
                if (c != null && !c.isSymlink()) {
                    ok &= chmodPath(p, child(path, name), child(shown, name), mode, true);
                }
            }
        }
        return ok;
    }

    /** Applies an octal ({@code 755}) or symbolic ({@code u+x,go-w}) mode to a file's current mode. */
    static int applyMode(Stat s, String mode) throws Proc.Usage {
        if (mode.matches("[0-7]{1,4}")) {
            return Integer.parseInt(mode, 8);
        }
        int current = s.mode();
        for (String clause : mode.split(",")) {
            int i = 0;
            int who = 0;
            while (i < clause.length() && "ugoa".indexOf(clause.charAt(i)) >= 0) {
                who |= switch (clause.charAt(i)) {
                    case 'u' -> 04700;
                    case 'g' -> 02070;
                    case 'o' -> 01007;
                    default -> 07777;
                };
                i++;
            }
            if (who == 0) {
                who = 07777 & ~022; // as if umask 022
            }
            if (i >= clause.length() || "+-=".indexOf(clause.charAt(i)) < 0) {
                throw new Proc.Usage("invalid mode: " + q(mode), 1);
            }
            char op = clause.charAt(i++);
            int bits = 0;
            for (; i < clause.length(); i++) {
                bits |= switch (clause.charAt(i)) {
                    case 'r' -> 0444;
                    case 'w' -> 0222;
                    case 'x' -> 0111;
                    case 'X' -> s.isDirectory() || (current & 0111) != 0 ? 0111 : 0;
                    case 's' -> 06000;
                    case 't' -> 01000;
                    default -> throw new Proc.Usage("invalid mode: " + q(mode), 1);
                };
            }
            bits &= who;
            current = switch (op) {
                case '+' -> current | bits;
                case '-' -> current & ~bits;
                default -> (current & ~who) | bits;
            };
        }
        return current & 07777;
    }

    private static int chown(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("RhvfcHLP", "", Map.of("recursive", 'R'));
        if (o.operands.size() < 2) {
            throw new Proc.Usage("missing operand", 1);
        }
        int status = 0;
        for (String file : o.operands.subList(1, o.operands.size())) {
            if (p.fs().lstat(p.abs(file)) == null) {
                status = p.fail("cannot access " + q(file) + ": No such file or directory");
            }
        }
        return status; // ownership is not modelled: everything belongs to the login user
    }

    private static int mktemp(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("dqut", "p", Map.of("directory", 'd', "quiet", 'q', "dry-run", 'u', "tmpdir=", 'p'));
        String template = o.operands.isEmpty() ? "tmp.XXXXXXXXXX" : o.operands.get(0);
        int xs = 0;
        while (xs < template.length() && template.charAt(template.length() - 1 - xs) == 'X') {
            xs++;
        }
        if (xs < 3) {
            throw new Proc.Usage("too few X's in template " + q(template), 1);
        }
        String dir = o.value('p') != null ? o.value('p')
                : template.contains("/") && !o.has('t') ? null
                : p.state.get("TMPDIR") != null ? p.state.get("TMPDIR") : "/tmp";
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        for (int attempt = 0; attempt < 100; attempt++) {
            StringBuilder name = new StringBuilder(template.substring(0, template.length() - xs));
            for (int i = 0; i < xs; i++) {
                name.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(alphabet.length())));
            }
            String shown = dir == null ? name.toString() : child(dir, name.toString());
            String path = p.abs(shown);
            try {
                if (!o.has('u')) {
                    if (o.has('d')) {
                        p.fs().mkdir(path);
                        p.fs().chmod(path, 0700);
                    } else {
                        p.fs().openWrite(path, WriteMode.CREATE_NEW).close();
                        p.fs().chmod(path, 0600);
                    }
                }
                p.println(shown);
                return 0;
            } catch (FsException e) {
                if (e.errno() != Errno.EEXIST) {
                    return p.fail("failed to create " + (o.has('d') ? "directory" : "file") + " via template "
                            + q(template) + ": " + e.getMessage());
                }
            }
        }
        return p.fail("failed to create a unique name from " + q(template));
    }

    private static int tee(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("ai", "", Map.of("append", 'a'));
        List<OutputStream> outs = new ArrayList<>();
        int status = 0;
        try {
            for (String file : o.operands) {
                try {
                    outs.add(p.fs().openWrite(p.abs(file), o.has('a') ? WriteMode.APPEND : WriteMode.TRUNCATE));
                } catch (FsException e) {
                    status = p.fail(file + ": " + e.getMessage());
                }
            }
            byte[] buffer = new byte[8192];
            for (int n; (n = p.in.read(buffer)) >= 0; ) {
                p.out.write(buffer, 0, n);
                for (OutputStream out : outs) {
                    out.write(buffer, 0, n);
                }
            }
        } finally {
            for (OutputStream out : outs) {
                out.close();
            }
        }
        return status;
    }

    private static int stat(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("Lt", "c", Map.of("format=", 'c', "dereference", 'L'));
        if (o.operands.isEmpty()) {
            throw new Proc.Usage("missing operand", 1);
        }
        int status = 0;
        for (String name : o.operands) {
            String path = p.abs(name);
            Stat s = o.has('L') ? p.fs().stat(path) : p.fs().lstat(path);
            if (s == null) {
                status = p.fail("cannot stat " + q(name) + ": No such file or directory");
                continue;
            }
            String format = o.value('c') != null ? o.value('c')
                    : "  File: %n\n  Size: %s\tType: %F\nAccess: (%a/%A)\nModify: %y";
            p.println(statFormat(p, format, name, s));
        }
        return status;
    }

    private static String statFormat(Proc p, String format, String name, Stat s) {
        StringBuilder sb = new StringBuilder();
        String user = p.state.get("USER") == null ? "root" : p.state.get("USER");
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            sb.append(switch (d) {
                case 'n' -> name;
                case 's' -> Long.toString(s.size());
                case 'a' -> Integer.toOctalString(s.mode());
                case 'A' -> modeString(s);
                case 'F' -> s.isDirectory() ? "directory" : s.isSymlink() ? "symbolic link"
                        : s.size() == 0 ? "regular empty file" : "regular file";
                case 'U', 'G' -> user;
                case 'u', 'g' -> user.equals("root") ? "0" : "1000";
                case 'Y' -> Long.toString(s.modifiedMillis() / 1000);
                case 'y' -> Instant.ofEpochMilli(s.modifiedMillis()).toString();
                case 'h' -> s.isDirectory() ? "2" : "1";
                case '%' -> "%";
                default -> "%" + d;
            });
        }
        return sb.toString();
    }

    private static int digest(Proc p, String algorithm) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("btzw", "", Map.of("binary", 'b', "text", 't'));
        int status = 0;
        for (String file : o.operands.isEmpty() ? List.of("-") : o.operands) {
            MessageDigest md;
            try {
                md = MessageDigest.getInstance(algorithm);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            InputStream in;
            try {
                in = p.open(file);
            } catch (FsException e) {
                status = p.fail(file + ": " + e.getMessage());
                continue;
            }
            try {
                byte[] buffer = new byte[65536];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    md.update(buffer, 0, n);
                }
            } finally {
                if (in != p.in) {
                    in.close();
                }
            }
            p.println(HexFormat.of().formatHex(md.digest()) + "  " + file);
        }
        return status;
    }
}
