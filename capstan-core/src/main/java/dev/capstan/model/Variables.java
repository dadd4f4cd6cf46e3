package dev.capstan.model;

import dev.capstan.ConfigException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The variables of a run. Safe under parallelize: values live in a concurrent map, and a lazy value is
 * computed exactly once even when many threads fetch it at the same moment.
 */
public final class Variables {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** An integer as written canonically: "007" or "0012345" (a PIN, a password) stays text. */
    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9]\\d{0,17})");

    /** Secret whoever sets them, and however: {@code -s sudo_password=...} must not print it either. */
    private static final Set<String> ALWAYS_SECRET = Set.of("sudo_password", "ssh_password");

    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final Set<String> secrets = ConcurrentHashMap.newKeySet();
    /**
     * Every value a secret variable has held in this run: a secret cleared or changed after use (a token wiped in a
     * {@code finally}) must stay masked in the messages about what it was used for.
     */
    private final Set<String> held = ConcurrentHashMap.newKeySet();

    /** A stored value: plain, or computed on first fetch. */
    private sealed interface Slot permits Plain, Lazy {
        Object get();
    }

    private record Plain(Object value) implements Slot {
        @Override
        public Object get() {
            return value;
        }
    }

    private static final class Lazy implements Slot {
        private final Supplier<?> supplier;
        private volatile boolean done;
        private Object value;

        Lazy(Supplier<?> supplier) {
            this.supplier = supplier;
        }

        @Override
        public Object get() {
            if (!done) {
                synchronized (this) {
                    if (!done) {
                        value = supplier.get();
                        done = true;
                    }
                }
            }
            return value;
        }
    }

    /** Checks that {@code name} is a valid variable name. */
    public static String validName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ConfigException("invalid variable name '" + name + "': use letters, digits and _, not starting with a digit"
                    + SourceLocation.suffix());
        }
        return name;
    }

    public void set(String name, Object value) {
        put(name, new Plain(value));
    }

    public void setLazy(String name, Supplier<?> value) {
        put(name, new Lazy(value));
    }

    public void secret(String name, Object value) {
        secrets.add(validName(name));
        set(name, value);
    }

    /** A secret computed on first fetch; masked from then on. */
    public void secretLazy(String name, Supplier<?> value) {
        secrets.add(validName(name));
        setLazy(name, value);
    }

    private void put(String name, Slot slot) {
        Slot old = slots.put(validName(name), slot);
        if (isSecret(name)) {
            hold(old);
            hold(slot);
        }
    }

    /**
     * Remembers {@code value} as one to mask when {@code name} is secret: a server's own value for a secret variable
     * (a per-host password set on the server) is as secret as the variable's.
     */
    public void holdIfSecret(String name, Object value) {
        if (isSecret(name)) {
            holdValue(value);
        }
    }

    /** Remembers the value of a secret's slot, unless it is a lazy value not computed yet (masking never computes). */
    private void hold(Slot slot) {
        Object value = switch (slot) {
            case null -> null;
            case Plain plain -> plain.value();
            case Lazy lazy -> lazy.done ? lazy.value : null;
        };
        holdValue(value);
    }

    /**
     * Remembers the text a secret value shows as: a {@code char[]} (what {@code Console.readPassword} returns) as its
     * characters, an {@code Optional} or collection as each element. A Boolean is no secret to mask: masking every
     * {@code true} would only blank the output.
     */
    private void holdValue(Object value) {
        switch (value) {
            case null -> { }
            case Boolean flag -> { }
            case char[] chars -> holdValue(new String(chars));
            case java.util.Optional<?> optional -> optional.ifPresent(this::holdValue);
            case java.util.Collection<?> items -> items.forEach(this::holdValue);
            default -> {
                if (!value.toString().isEmpty()) {
                    held.add(value.toString());
                }
            }
        }
    }

    public boolean exists(String name) {
        return slots.containsKey(name);
    }

    /** The names of the variables set. */
    public Set<String> names() {
        return Set.copyOf(slots.keySet());
    }

    /** The value, or a clear error naming the variable when it is not set. */
    @SuppressWarnings("unchecked")
    public <T> T fetch(String name) {
        Slot slot = slots.get(name);
        if (slot == null) {
            throw new ConfigException("variable '" + name + "' is not set; set it with cap.set(\"" + name
                    + "\", ...) or -s " + name + "=VALUE");
        }
        return (T) slot.get();
    }

    @SuppressWarnings("unchecked")
    public <T> T fetch(String name, T defaultValue) {
        Slot slot = slots.get(name);
        return slot == null ? defaultValue : (T) slot.get();
    }

    /** The value when set, else null; lazy values are computed. */
    public Object get(String name) {
        Slot slot = slots.get(name);
        return slot == null ? null : slot.get();
    }

    /**
     * Every value the secret variables hold or have held in this run, for masking output. A lazy secret counts once
     * computed: masking never computes one.
     */
    public Set<String> secretValues() {
        for (String name : secrets) {
            hold(slots.get(name));
        }
        for (String name : ALWAYS_SECRET) {
            hold(slots.get(name));
        }
        return Set.copyOf(held);
    }

    /** Whether {@code name} was declared with {@link #secret}, or is a password capstan itself uses. */
    public boolean isSecret(String name) {
        return secrets.contains(name) || ALWAYS_SECRET.contains(name);
    }

    /**
     * A command-line value as the type a user means: {@code true}/{@code false} as Boolean, an integer as
     * Integer (Long when larger), anything else as the string itself.
     */
    public static Object coerce(String raw) {
        if (raw.equals("true") || raw.equals("false")) {
            return Boolean.parseBoolean(raw);
        }
        if (INTEGER.matcher(raw).matches()) {
            long value = Long.parseLong(raw);
            return value == (int) value ? (Object) (int) value : (Object) value;
        }
        return raw;
    }

    /** Parses {@code NAME=VALUE} from the command line, coercing the value. */
    public static Map.Entry<String, Object> parseAssignment(String option, String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException(option + " " + assignment + ": expected NAME=VALUE");
        }
        String name = assignment.substring(0, eq);
        if (!NAME.matcher(name).matches()) { // the value is not repeated: it may be a password
            throw new ConfigException(option + " " + name + "=...: invalid variable name '" + name
                    + "': use letters, digits and _, not starting with a digit");
        }
        String value = assignment.substring(eq + 1);
        return Map.entry(name, ALWAYS_SECRET.contains(name) ? value : coerce(value)); // a password is its characters
    }
}
