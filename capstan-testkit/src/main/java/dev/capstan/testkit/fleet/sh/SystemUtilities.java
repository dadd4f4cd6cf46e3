package dev.capstan.testkit.fleet.sh;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Process and system utilities: sleep, date, hostname, uname, id, uptime, env, sh -c, sudo, nohup, timeout. */
final class SystemUtilities {

    private SystemUtilities() {
    }

    static void register(Map<String, Utility> map) {
        map.put("sleep", SystemUtilities::sleep);
        map.put("date", SystemUtilities::date);
        map.put("hostname", SystemUtilities::hostname);
        map.put("uname", SystemUtilities::uname);
        map.put("whoami", p -> {
            p.println(user(p));
            return 0;
        });
        map.put("logname", p -> {
            p.println(user(p));
            return 0;
        });
        map.put("id", SystemUtilities::id);
        map.put("uptime", SystemUtilities::uptime);
        map.put("env", SystemUtilities::env);
        map.put("printenv", SystemUtilities::printenv);
        map.put("sh", SystemUtilities::shell);
        map.put("bash", SystemUtilities::shell);
        map.put("dash", SystemUtilities::shell);
        map.put("sudo", SystemUtilities::sudo);
        map.put("nohup", p -> rest(p, 1));
        map.put("timeout", SystemUtilities::timeout);
        map.put("tar", Tar::run);
    }

    static String user(Proc p) {
        String user = p.state.get("USER");
        return user == null ? "root" : user;
    }

    private static int uid(Proc p) {
        return user(p).equals("root") ? 0 : 1000;
    }

    /** Runs {@code args[from..]} as a command (not a function), like nohup and sudo do. */
    private static int rest(Proc p, int from) {
        if (from >= p.args.size()) {
            Interpreter.writeErr(p.ctx, p.name() + ": missing operand");
            return 125;
        }
        return p.sh.invoke(new ArrayList<>(p.args.subList(from, p.args.size())), p.ctx, true);
    }

    static long durationMillis(String spec) {
        double multiplier = 1000;
        String number = spec;
        if (!spec.isEmpty() && "smhd".indexOf(spec.charAt(spec.length() - 1)) >= 0) {
            multiplier = switch (spec.charAt(spec.length() - 1)) {
                case 'm' -> 60_000;
                case 'h' -> 3_600_000;
                case 'd' -> 86_400_000;
                default -> 1000;
            };
            number = spec.substring(0, spec.length() - 1);
        }
        double value = Double.parseDouble(number);
        if (value < 0 || Double.isNaN(value)) {
            throw new NumberFormatException(spec);
        }
        return Math.round(value * multiplier);
    }

    private static int sleep(Proc p) throws IOException, InterruptedException {
        if (p.args.size() < 2) {
            return p.fail("missing operand");
        }
        long millis = 0;
        for (String spec : p.args.subList(1, p.args.size())) {
            try {
                millis += durationMillis(spec);
            } catch (NumberFormatException e) {
                return p.fail("invalid time interval " + FileUtilities.q(spec));
            }
        }
        p.out.flush();
        Thread.sleep(millis); // a virtual thread: thousands of sleeping hosts cost next to nothing
        return 0;
    }

    private static int date(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("uRI", "dr", Map.of("utc", 'u', "date=", 'd', "reference=", 'r'));
        Instant when = Instant.now();
        String d = o.value('d');
        if (d != null) {
            if (d.startsWith("@")) {
                when = Instant.ofEpochMilli((long) (Double.parseDouble(d.substring(1)) * 1000));
            } else if (!d.equals("now")) {
                try {
                    when = Instant.parse(d.contains("T") ? (d.endsWith("Z") ? d : d + "Z") : d + "T00:00:00Z");
                } catch (java.time.format.DateTimeParseException e) {
                    return p.fail("invalid date " + FileUtilities.q(d));
                }
            }
        }
        if (o.value('r') != null) {
            HostFs.Stat s = p.fs().stat(p.abs(o.value('r')));
            if (s == null) {
                return p.fail(o.value('r') + ": No such file or directory");
            }
            when = Instant.ofEpochMilli(s.modifiedMillis());
        }
        ZoneId zone = ZoneOffset.UTC;
        String tz = p.state.get("TZ");
        if (tz != null && !o.has('u')) {
            try {
                zone = ZoneId.of(tz);
            } catch (java.time.DateTimeException e) {
                zone = ZoneOffset.UTC;
            }
        }
        ZonedDateTime t = when.atZone(zone);
        String format = o.operands.stream().filter(a -> a.startsWith("+")).findFirst().map(a -> a.substring(1))
                .orElse(o.has('R') ? "%a, %d %b %Y %H:%M:%S %z" : o.has('I') ? "%F" : "%a %b %e %H:%M:%S %Z %Y");
        p.println(strftime(format, t));
        return 0;
    }

    static String strftime(String format, ZonedDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char f = format.charAt(++i);
            sb.append(switch (f) {
                case 'Y' -> String.valueOf(t.getYear());
                case 'y' -> String.format(Locale.ROOT, "%02d", t.getYear() % 100);
                case 'C' -> String.format(Locale.ROOT, "%02d", t.getYear() / 100);
                case 'm' -> String.format(Locale.ROOT, "%02d", t.getMonthValue());
                case 'd' -> String.format(Locale.ROOT, "%02d", t.getDayOfMonth());
                case 'e' -> String.format(Locale.ROOT, "%2d", t.getDayOfMonth());
                case 'H' -> String.format(Locale.ROOT, "%02d", t.getHour());
                case 'k' -> String.format(Locale.ROOT, "%2d", t.getHour());
                case 'I' -> String.format(Locale.ROOT, "%02d", (t.getHour() + 11) % 12 + 1);
                case 'l' -> String.format(Locale.ROOT, "%2d", (t.getHour() + 11) % 12 + 1);
                case 'M' -> String.format(Locale.ROOT, "%02d", t.getMinute());
                case 'S' -> String.format(Locale.ROOT, "%02d", t.getSecond());
                case 'N' -> String.format(Locale.ROOT, "%09d", t.getNano());
                case 's' -> String.valueOf(t.toEpochSecond());
                case 'j' -> String.format(Locale.ROOT, "%03d", t.getDayOfYear());
                case 'u' -> String.valueOf(t.getDayOfWeek().getValue());
                case 'w' -> String.valueOf(t.getDayOfWeek().getValue() % 7);
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'F' -> strftime("%Y-%m-%d", t);
                case 'T' -> strftime("%H:%M:%S", t);
                case 'R' -> strftime("%H:%M", t);
                case 'D' -> strftime("%m/%d/%y", t);
                case 'Z' -> t.getZone().equals(ZoneOffset.UTC) ? "UTC"
                        : t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'z' -> DateTimeFormatter.ofPattern("xx").format(t);
                case 'n' -> "\n";
                case 't' -> "\t";
                case '%' -> "%";
                default -> "%" + f;
            });
        }
        return sb.toString();
    }

    private static int hostname(Proc p) throws IOException {
        String name = p.sh.host().name();
        List<String> args = p.args.subList(1, p.args.size());
        if (args.contains("-i") || args.contains("-I") || args.contains("--ip-address")) {
            p.println("127.0.0.1");
        } else if (args.contains("-s") || args.contains("--short")) {
            p.println(name.contains(".") ? name.substring(0, name.indexOf('.')) : name);
        } else {
            p.println(name);
        }
        return 0;
    }

    private static int uname(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("asnrvmpio", "", Map.of("all", 'a', "kernel-name", 's', "nodename", 'n',
                "kernel-release", 'r', "machine", 'm'));
        String[][] fields = {{"s", "Linux"}, {"n", p.sh.host().name()}, {"r", "6.1.0-capstan-fleet"},
            {"v", "#1 SMP PREEMPT_DYNAMIC"}, {"m", "x86_64"}, {"p", "unknown"}, {"i", "unknown"},
            {"o", "GNU/Linux"}};
        List<String> out = new ArrayList<>();
        boolean none = o.flags.isEmpty();
        for (String[] f : fields) {
            char c = f[0].charAt(0);
            boolean all = o.has('a') && !(c == 'p' || c == 'i');
            if (all || o.has(c) || (none && c == 's')) {
                out.add(f[1]);
            }
        }
        p.println(String.join(" ", out));
        return 0;
    }

    private static int id(Proc p) throws IOException, Proc.Usage {
        Proc.Opts o = p.options("ugnrGa", "", Map.of("user", 'u', "group", 'g', "name", 'n', "groups", 'G'));
        String user = user(p);
        int uid = uid(p);
        if (o.has('u') || o.has('g') || o.has('G')) {
            p.println(o.has('n') ? user : String.valueOf(uid));
        } else {
            p.println("uid=" + uid + "(" + user + ") gid=" + uid + "(" + user + ") groups=" + uid + "(" + user + ")");
        }
        return 0;
    }

    private static int uptime(Proc p) throws IOException {
        Duration up = Duration.ofMillis(System.currentTimeMillis() - p.sh.host().bootMillis());
        List<String> args = p.args.subList(1, p.args.size());
        if (args.contains("-s") || args.contains("--since")) {
            p.println(strftime("%F %T", Instant.ofEpochMilli(p.sh.host().bootMillis()).atZone(ZoneOffset.UTC)));
            return 0;
        }
        long minutes = up.toMinutes();
        if (args.contains("-p") || args.contains("--pretty")) {
            p.println("up " + (minutes < 60 ? minutes + " minute" + (minutes == 1 ? "" : "s")
                    : up.toHours() + " hours, " + (minutes % 60) + " minutes"));
            return 0;
        }
        String now = strftime("%T", ZonedDateTime.now(ZoneOffset.UTC));
        String since = up.toDays() > 0 ? up.toDays() + " days, " : "";
        String clock = String.format(Locale.ROOT, "%2d:%02d", up.toHoursPart(), up.toMinutesPart());
        p.println(" " + now + " up " + since + clock + ",  1 user,  load average: 0.00, 0.00, 0.00");
        return 0;
    }

    private static int env(Proc p) throws IOException {
        List<String> args = p.args.subList(1, p.args.size());
        State state = p.state.copy();
        int i = 0;
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-i") || a.equals("-") || a.equals("--ignore-environment")) {
                state.vars.clear();
            } else if (a.equals("-u") && i + 1 < args.size()) {
                state.unset(args.get(++i));
            } else if (a.equals("--")) {
                i++;
                break;
            } else if (!a.startsWith("-") || a.length() == 1) {
                break;
            }
        }
        for (; i < args.size() && args.get(i).contains("=") && args.get(i).indexOf('=') > 0; i++) {
            String a = args.get(i);
            state.set(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
        }
        if (i >= args.size()) {
            for (Map.Entry<String, String> e : state.vars.entrySet()) {
                p.println(e.getKey() + "=" + e.getValue());
            }
            return 0;
        }
        return p.sh.invoke(new ArrayList<>(args.subList(i, args.size())), p.ctx.with(state), true);
    }

    private static int printenv(Proc p) throws IOException {
        List<String> names = p.args.subList(1, p.args.size());
        if (names.isEmpty()) {
            for (Map.Entry<String, String> e : new TreeMap<>(p.state.vars).entrySet()) {
                p.println(e.getKey() + "=" + e.getValue());
            }
            return 0;
        }
        int status = 0;
        for (String name : names) {
            String v = p.state.get(name);
            if (v == null) {
                status = 1;
            } else {
                p.println(v);
            }
        }
        return status;
    }

    /** {@code sh [-e] [-u] -c SCRIPT [NAME [ARG...]]}, {@code sh FILE [ARG...]}, {@code sh < script}. */
    private static int shell(Proc p) throws IOException {
        List<String> args = p.args.subList(1, p.args.size());
        State state = p.state.copy();
        state.functions.clear();
        state.errexit = false;
        state.noclobber = false;
        state.nounset = false;
        String command = null;
        boolean fromStdin = false;
        int i = 0;
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                i++;
                break;
            }
            if (a.startsWith("-") && a.length() > 1 || a.startsWith("+") && a.length() > 1) {
                boolean on = a.startsWith("-");
                for (char c : a.substring(1).toCharArray()) {
                    switch (c) {
                        case 'c' -> command = "";
                        case 'e' -> state.errexit = on;
                        case 'u' -> state.nounset = on;
                        case 'C' -> state.noclobber = on;
                        case 's' -> fromStdin = true;
                        default -> {
                            // -x -l -i -v: accepted without effect
                        }
                    }
                }
                continue;
            }
            break;
        }
        List<String> rest = args.subList(i, args.size());
        String script;
        String name = p.name();
        if (command != null) {
            if (rest.isEmpty()) {
                Interpreter.writeErr(p.ctx, p.name() + ": -c: option requires an argument");
                return 2;
            }
            script = rest.get(0);
            if (rest.size() > 1) {
                name = rest.get(1);
                state.positional = List.copyOf(rest.subList(2, rest.size()));
            } else {
                state.positional = List.of();
            }
        } else if (!rest.isEmpty() && !fromStdin) {
            String file = rest.get(0);
            try (InputStream in = p.fs().openRead(p.abs(file))) {
                script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (FsException e) {
                Interpreter.writeErr(p.ctx, p.name() + ": 0: cannot open " + file + ": " + e.getMessage());
                return 2;
            }
            name = file;
            state.positional = List.copyOf(rest.subList(1, rest.size()));
        } else {
            // commands from stdin, each run as soon as it has been read: what `exec sh` leaves behind
            state.positional = List.copyOf(rest);
            state.scriptName = name;
            try {
                return p.sh.interact(p.ctx.with(state));
            } catch (Signals.Exit e) {
                return e.status;
            }
        }
        state.scriptName = name;
        return p.sh.runScript(script, p.ctx.with(state), name, true);
    }

    private static int sudo(Proc p) throws IOException {
        List<String> args = p.args;
        int i = 1;
        while (i < args.size() && args.get(i).startsWith("-")) {
            String a = args.get(i++);
            if (a.equals("--")) {
                break;
            }
            if (a.equals("-u") || a.equals("-g") || a.equals("-p") || a.equals("-C") || a.equals("-h")
                    || a.equals("-U") || a.equals("-D")) {
                i++; // option with a value: the user to run as, the prompt, ...
            } else if (a.equals("-v") || a.equals("-k") || a.equals("-K")) {
                return 0; // validate / forget credentials: nothing to do without passwords
            }
        }
        if (i >= args.size()) {
            Interpreter.writeErr(p.ctx, "usage: sudo [-u user] [-p prompt] command [arg ...]");
            return 1;
        }
        return p.sh.invoke(new ArrayList<>(args.subList(i, args.size())), p.ctx, true);
    }

    private static int timeout(Proc p) throws IOException, InterruptedException {
        List<String> args = p.args;
        int i = 1;
        while (i < args.size() && args.get(i).startsWith("-")) {
            String a = args.get(i++);
            if (a.equals("-s") || a.equals("-k") || a.equals("--signal") || a.equals("--kill-after")) {
                i++;
            }
        }
        if (i + 1 >= args.size()) {
            return p.fail("missing operand");
        }
        long millis;
        try {
            millis = durationMillis(args.get(i));
        } catch (NumberFormatException e) {
            return p.fail("invalid time interval " + FileUtilities.q(args.get(i)));
        }
        List<String> command = new ArrayList<>(args.subList(i + 1, args.size()));
        int[] status = {0};
        Interpreter.Ctx ctx = p.ctx.with(p.state.copy());
        Thread worker = Thread.ofVirtual().start(() -> {
            try {
                status[0] = p.sh.invoke(command, ctx, true);
            } catch (Signals.Exit e) {
                status[0] = e.status;
            } catch (Signals.Killed e) {
                status[0] = 143;
            }
        });
        if (!worker.join(Duration.ofMillis(millis))) {
            worker.interrupt();
            worker.join();
            return 124;
        }
        return status[0];
    }
}
