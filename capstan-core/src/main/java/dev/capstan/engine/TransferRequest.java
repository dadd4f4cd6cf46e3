package dev.capstan.engine;

import dev.capstan.ConfigException;
import dev.capstan.TransferOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The options of one upload, put or download. */
final class TransferRequest implements TransferOptions {
    Integer mode;
    boolean once;
    final List<String> hosts = new ArrayList<>();
    final List<String> roles = new ArrayList<>();

    @Override
    public TransferOptions mode(int bits) {
        if (bits < 0 || bits > 07777) {
            throw new ConfigException("file mode " + Integer.toOctalString(bits) + " is not a valid octal mode");
        }
        mode = bits;
        return this;
    }

    @Override
    public TransferOptions hosts(String... names) {
        hosts.addAll(Arrays.asList(names));
        return this;
    }

    @Override
    public TransferOptions roles(String... names) {
        roles.addAll(Arrays.asList(names));
        return this;
    }

    @Override
    public TransferOptions once() {
        once = true;
        return this;
    }
}
