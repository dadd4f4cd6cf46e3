package dev.capstan.testkit.fleet.sh;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import dev.capstan.testkit.fleet.sh.HostFs.Stat;

/**
 * {@code tar}: extracts ({@code x}), lists ({@code t}) and creates ({@code c}) ustar/GNU/pax archives, gzipped or not
 * (gzip is detected on reading), with {@code -f}, {@code -C}, {@code -v}, {@code -z} and
 * {@code --strip-components}. Regular files, directories and symbolic links; hard links are extracted as copies.
 * Like GNU tar it strips leading {@code /} and refuses member names containing {@code ..}.
 */
final class Tar {

    private Tar() {
    }

    private static final class Options {
        char mode;
        boolean gzip;
        boolean verbose;
        String file = "-";
        String directory;
        int strip;
        final List<String> members = new ArrayList<>();
    }

    static int run(Proc p) throws IOException, Proc.Usage {
        Options o = parse(p);
        if (o.mode == 0) {
            throw new Proc.Usage("You must specify one of the '-Acdtrux', '--delete' or '--test-label' options", 2);
        }
        String base = o.directory == null ? p.state.cwd : p.abs(o.directory);
        if (o.directory != null) {
            Stat d = p.fs().stat(base);
            if (d == null || !d.isDirectory()) {
                p.error(o.directory + ": Cannot open: No such file or directory");
                return 2;
            }
        }
        if (o.mode == 'c') {
            return create(p, o, base);
        }
        if (o.mode != 'x' && o.mode != 't') {
            throw new Proc.Usage("only -x, -t and -c are supported here", 2);
        }
        InputStream raw;
        try {
            raw = o.file.equals("-") ? new java.io.FilterInputStream(p.in) {
                @Override
                public void close() {
                    // stdin stays open for whoever reads it next
                }
            } : p.fs().openRead(p.abs(o.file));
        } catch (FsException e) {
            p.error(o.file + ": Cannot open: " + e.getMessage());
            p.error("Error is not recoverable: exiting now");
            return 2;
        }
        try (InputStream in = decompress(raw)) {
            return read(p, o, base, in);
        } catch (EOFException | java.util.zip.ZipException e) {
            p.error("Unexpected EOF in archive");
            p.error("Error is not recoverable: exiting now");
            return 2;
        }
    }

    private static Options parse(Proc p) throws Proc.Usage {
        Options o = new Options();
        List<String> args = new ArrayList<>(p.args.subList(1, p.args.size()));
        List<String> valuesWanted = new ArrayList<>();
        int i = 0;
        if (!args.isEmpty() && !args.get(0).startsWith("-")) {
            // old style: "xzf archive.tgz", values follow in the order of their letters
            String bundle = args.get(0);
            i = 1;
            for (char c : bundle.toCharArray()) {
                if (c == 'f' || c == 'C') {
                    valuesWanted.add(String.valueOf(c));
                } else {
                    flag(o, c);
                }
            }
            for (String wanted : valuesWanted) {
                if (i >= args.size()) {
                    throw new Proc.Usage("option requires an argument -- '" + wanted + "'", 2);
                }
                value(o, wanted.charAt(0), args.get(i++));
            }
        }
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith("--")) {
                String name = a.contains("=") ? a.substring(2, a.indexOf('=')) : a.substring(2);
                String v = a.contains("=") ? a.substring(a.indexOf('=') + 1) : null;
                switch (name) {
                    case "extract", "get" -> o.mode = 'x';
                    case "list" -> o.mode = 't';
                    case "create" -> o.mode = 'c';
                    case "gzip", "gunzip", "ungzip" -> o.gzip = true;
                    case "verbose" -> o.verbose = true;
                    case "file" -> o.file = v != null ? v : args.get(++i);
                    case "directory" -> o.directory = v != null ? v : args.get(++i);
                    case "strip-components" -> o.strip = Integer.parseInt(v != null ? v : args.get(++i));
                    default -> {
                        // --no-same-owner, --overwrite, --warning=...: no effect here
                    }
                }
            } else if (a.startsWith("-") && a.length() > 1) {
                for (int j = 1; j < a.length(); j++) {
                    char c = a.charAt(j);
                    if (c == 'f' || c == 'C') {
                        String v = j + 1 < a.length() ? a.substring(j + 1) : (i + 1 < args.size() ? args.get(++i) : null);
                        if (v == null) {
                            throw new Proc.Usage("option requires an argument -- '" + c + "'", 2);
                        }
                        value(o, c, v);
                        break;
                    }
                    flag(o, c);
                }
            } else {
                o.members.add(a);
            }
        }
        return o;
    }

    private static void flag(Options o, char c) throws Proc.Usage {
        switch (c) {
            case 'x', 't', 'c' -> o.mode = c;
            case 'z' -> o.gzip = true;
            case 'v' -> o.verbose = true;
            case 'p', 'o', 'm', 'k', 'h', 'P', '-' -> {
                // permissions, ownership, mtimes: nothing to do here
            }
            case 'j', 'J' -> throw new Proc.Usage("bzip2 and xz archives are not supported here", 2);
            default -> throw new Proc.Usage("invalid option -- '" + c + "'", 2);
        }
    }

    private static void value(Options o, char c, String v) {
        if (c == 'f') {
            o.file = v;
        } else {
            o.directory = v;
        }
    }

    private static InputStream decompress(InputStream raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 65536);
        in.mark(2);
        int b1 = in.read();
        int b2 = in.read();
        in.reset();
        if (b1 == 0x1f && b2 == 0x8b) {
            return new GZIPInputStream(in, 65536);
        }
        return in;
    }

    private static int read(Proc p, Options o, String base, InputStream in) throws IOException {
        byte[] header = new byte[512];
        String longName = null;
        String longLink = null;
        String paxPath = null;
        String paxLink = null;
        int status = 0;
        while (true) {
            if (!readFully(in, header)) {
                break;
            }
            if (isZero(header)) {
                break;
            }
            String name = text(header, 0, 100);
            String prefix = text(header, 345, 155);
            if (!prefix.isEmpty() && "ustar".equals(text(header, 257, 5))) {
                name = prefix + "/" + name;
            }
            int mode = (int) octal(header, 100, 8);
            long size = number(header, 124, 12);
            long mtime = number(header, 136, 12);
            char type = (char) header[156];
            String link = text(header, 157, 100);
            byte[] data = null;
            if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
                data = readData(in, size);
                String content = new String(data, StandardCharsets.UTF_8);
                if (type == 'L') {
                    longName = content.replaceAll("\0+$", "");
                } else if (type == 'K') {
                    longLink = content.replaceAll("\0+$", "");
                } else if (type == 'x') {
                    for (String record : pax(content)) {
                        if (record.startsWith("path=")) {
                            paxPath = record.substring(5);
                        } else if (record.startsWith("linkpath=")) {
                            paxLink = record.substring(9);
                        }
                    }
                }
                continue;
            }
            if (longName != null) {
                name = longName;
            }
            if (paxPath != null) {
                name = paxPath;
            }
            if (longLink != null) {
                link = longLink;
            }
            if (paxLink != null) {
                link = paxLink;
            }
            longName = longLink = paxPath = paxLink = null;
            boolean hasData = type == '0' || type == '\0' || type == '7';
            String member = name.replaceFirst("^/+", "");
            if (o.mode == 't') {
                if (hasData) {
                    skip(in, size);
                }
                if (o.members.isEmpty() || o.members.stream().anyMatch(m -> member.equals(m) || member.startsWith(m + "/"))) {
                    p.println(o.verbose ? FileUtilities.modeString(new Stat(type == '5' ? HostFs.Type.DIRECTORY
                            : type == '2' ? HostFs.Type.SYMLINK : HostFs.Type.FILE, size, mtime * 1000, mode))
                            + " " + size + " " + member + (type == '2' ? " -> " + link : "") : member);
                }
                continue;
            }
            String stripped = strip(member, o.strip);
            boolean wanted = o.members.isEmpty()
                    || o.members.stream().anyMatch(m -> member.equals(m) || member.startsWith(m + "/"));
            if (stripped == null || stripped.isEmpty() || !wanted) {
                if (hasData) {
                    skip(in, size);
                }
                continue;
            }
            if (List.of(stripped.split("/")).contains("..")) {
                p.error("Removing leading `../' from member names: skipping " + member);
                if (hasData) {
                    skip(in, size);
                }
                continue;
            }
            String target = FileUtilities.child(base, stripped.replaceAll("/+$", ""));
            if (o.verbose) {
                p.println(member);
            }
            try {
                FileUtilities.mkdirs(p.fs(), TextUtilities.dirnameOf(target), TextUtilities.dirnameOf(target));
                switch (type) {
                    case '5' -> {
                        FileUtilities.mkdirs(p.fs(), target, stripped);
                        p.fs().chmod(target, mode == 0 ? 0755 : mode);
                    }
                    case '2' -> {
                        replaceable(p, target);
                        p.fs().symlink(link, target);
                    }
                    case '1' -> {
                        String from = FileUtilities.child(base, strip(link.replaceFirst("^/+", ""), o.strip));
                        replaceable(p, target);
                        FileUtilities.copyFile(p.fs(), from, target, true);
                    }
                    default -> {
                        if (!hasData) {
                            skip(in, size); // devices, fifos: nothing to create here
                            continue;
                        }
                        replaceable(p, target);
                        try (OutputStream out = p.fs().openWrite(target, HostFs.WriteMode.TRUNCATE)) {
                            copy(in, out, size);
                        }
                        skipPadding(in, size);
                        p.fs().chmod(target, mode == 0 ? 0644 : mode);
                        p.fs().setModified(target, mtime * 1000);
                    }
                }
            } catch (FsException e) {
                p.error(stripped + ": Cannot open: " + e.getMessage());
                status = 2;
                if (hasData) {
                    skip(in, size);
                }
            }
        }
        return status;
    }

    private static void replaceable(Proc p, String target) throws FsException {
        Stat s = p.fs().lstat(target);
        if (s != null && !s.isDirectory()) {
            p.fs().delete(target);
        }
    }

    private static String strip(String name, int components) {
        String s = name;
        for (int i = 0; i < components; i++) {
            int slash = s.indexOf('/');
            if (slash < 0) {
                return null;
            }
            s = s.substring(slash + 1);
        }
        return s;
    }

    private static List<String> pax(String content) {
        List<String> records = new ArrayList<>();
        int i = 0;
        while (i < content.length()) {
            int space = content.indexOf(' ', i);
            if (space < 0) {
                break;
            }
            int length = Integer.parseInt(content.substring(i, space));
            records.add(content.substring(space + 1, i + length - 1));
            i += length;
        }
        return records;
    }

    private static boolean readFully(InputStream in, byte[] buffer) throws IOException {
        int n = in.readNBytes(buffer, 0, buffer.length);
        if (n == 0) {
            return false;
        }
        if (n < buffer.length) {
            throw new EOFException();
        }
        return true;
    }

    private static byte[] readData(InputStream in, long size) throws IOException {
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new EOFException();
        }
        skipPadding(in, size);
        return data;
    }

    private static void copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buffer = new byte[65536];
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new EOFException();
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private static void skip(InputStream in, long size) throws IOException {
        in.skipNBytes(size + padding(size));
    }

    private static void skipPadding(InputStream in, long size) throws IOException {
        in.skipNBytes(padding(size));
    }

    private static long padding(long size) {
        return (512 - size % 512) % 512;
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String text(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] h, int off, int len) {
        String s = text(h, off, len).strip();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }

    /** Octal, or GNU base-256 when the high bit of the first byte is set. */
    private static long number(byte[] h, int off, int len) {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7f;
            for (int i = off + 1; i < off + len; i++) {
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        return octal(h, off, len);
    }

    // ---- create -----------------------------------------------------------------------------------------------

    private static int create(Proc p, Options o, String base) throws IOException {
        if (o.members.isEmpty()) {
            p.error("Cowardly refusing to create an empty archive");
            return 2;
        }
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        OutputStream out = o.gzip ? new GZIPOutputStream(archive) : archive;
        int status = 0;
        for (String member : o.members) {
            String path = member.startsWith("/") ? member : FileUtilities.child(base, member);
            if (p.fs().lstat(path) == null) {
                p.error(member + ": Cannot stat: No such file or directory");
                status = 2;
                continue;
            }
            add(p, out, path, member.replaceFirst("^/+", ""), o.verbose);
        }
        out.write(new byte[1024]);
        out.close();
        byte[] bytes = archive.toByteArray();
        if (o.file.equals("-")) {
            p.out.write(bytes);
        } else {
            try (OutputStream file = p.fs().openWrite(p.abs(o.file), HostFs.WriteMode.TRUNCATE)) {
                file.write(bytes);
            }
        }
        return status;
    }

    private static void add(Proc p, OutputStream out, String path, String name, boolean verbose) throws IOException {
        Stat s = p.fs().lstat(path);
        if (s == null) {
            return;
        }
        if (verbose) {
            p.println(s.isDirectory() ? name + "/" : name);
        }
        if (s.isDirectory()) {
            out.write(header(name + "/", s, '5', "", 0));
            for (String child : p.fs().list(path)) {
                add(p, out, FileUtilities.child(path, child), name.equals(".") ? child : name + "/" + child, verbose);
            }
        } else if (s.isSymlink()) {
            out.write(header(name, s, '2', p.fs().readlink(path), 0));
        } else {
            out.write(header(name, s, '0', "", s.size()));
            try (InputStream in = p.fs().openRead(path)) {
                in.transferTo(out);
            }
            out.write(new byte[(int) padding(s.size())]);
        }
    }

    private static byte[] header(String name, Stat s, char type, String link, long size) throws IOException {
        byte[] h = new byte[512];
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100) {
            throw new IOException(name + ": file name is too long (max 100)");
        }
        System.arraycopy(nameBytes, 0, h, 0, nameBytes.length);
        put(h, 100, 8, Long.toOctalString(s.mode()));
        put(h, 108, 8, "1750");
        put(h, 116, 8, "1750");
        put(h, 124, 12, Long.toOctalString(size));
        put(h, 136, 12, Long.toOctalString(s.modifiedMillis() / 1000));
        h[156] = (byte) type;
        byte[] linkBytes = link.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(linkBytes, 0, h, 157, Math.min(100, linkBytes.length));
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, 7, Long.toOctalString(sum));
        return h;
    }

    private static void put(byte[] h, int off, int len, String octal) {
        String padded = "0".repeat(Math.max(0, len - 1 - octal.length())) + octal;
        byte[] b = padded.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, Math.min(b.length, len - 1));
        h[off + len - 1] = 0;
    }
}
