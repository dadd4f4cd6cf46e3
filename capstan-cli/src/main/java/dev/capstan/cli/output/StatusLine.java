package dev.capstan.cli.output;

import dev.capstan.Server;
import dev.capstan.event.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the live status line says: blocks of running {@code parallelize} calls, hosts still running a
 * command, bytes transferred, and the time since the run began. Only state and text; the console decides
 * when and where it is drawn. Not thread-safe: the console calls it under its lock.
 */
final class StatusLine {
    /** A command running this long on its own (no parallelize, no transfer) earns a status line. */
    static final Duration LONG_COMMAND = Duration.ofSeconds(1);

    private final HostListCompressor hostLists;
    private final Map<Long, Blocks> parallelizes = new LinkedHashMap<>();
    private final Map<Long, Running> commands = new LinkedHashMap<>();
    private final Map<String, Transfer> transfers = new LinkedHashMap<>();
    private Instant began;

    private static final class Blocks {
        final int total;
        int running;
        int done;
        int failed;

        Blocks(int total) {
            this.total = total;
        }
    }

    private record Running(Instant since, Set<String> pending) { }

    private record Transfer(long done, long total) { }

    StatusLine(HostListCompressor hostLists) {
        this.hostLists = hostLists;
    }

    void update(Event event) {
        if (began == null) {
            began = event.at();
        }
        switch (event) {
            case Event.ParallelizeStarted e -> parallelizes.put(e.id(), new Blocks(e.blocks()));
            case Event.BlockStarted e -> blocks(e.id(), b -> b.running++);
            case Event.BlockFinished e -> blocks(e.id(), b -> {
                b.running--;
                if (e.failure() == null) {
                    b.done++;
                } else {
                    b.failed++;
                }
            });
            case Event.ParallelizeFinished e -> parallelizes.remove(e.id());
            case Event.CommandStarted e -> commands.put(e.id(), new Running(e.at(),
                    new LinkedHashSet<>(e.servers().stream().map(Server::label).toList())));
            case Event.CommandFinished e -> ended(e.id(), e.server());
            case Event.CommandFailed e -> ended(e.id(), e.server());
            case Event.TransferProgress e -> {
                String key = e.server().label() + " " + e.path();
                if (e.total() > 0 && e.done() >= e.total()) {
                    transfers.remove(key);
                } else {
                    transfers.put(key, new Transfer(e.done(), e.total()));
                }
            }
            default -> { }
        }
    }

    private void blocks(long id, java.util.function.Consumer<Blocks> change) {
        Blocks b = parallelizes.get(id);
        if (b != null) {
            change.accept(b);
        }
    }

    private void ended(long id, Server server) {
        Running running = commands.get(id);
        if (running != null) {
            running.pending().remove(server.label());
            if (running.pending().isEmpty()) {
                commands.remove(id);
            }
        }
    }

    /** The status text at {@code now}, or null when nothing is running that is worth a status line. */
    String render(Instant now, Glyphs glyphs) {
        boolean longCommand = commands.values().stream()
                .anyMatch(r -> Duration.between(r.since(), now).compareTo(LONG_COMMAND) >= 0);
        if (parallelizes.isEmpty() && transfers.isEmpty() && !longCommand) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        if (!parallelizes.isEmpty()) {
            int total = 0;
            int running = 0;
            int done = 0;
            int failed = 0;
            for (Blocks b : parallelizes.values()) {
                total += b.total;
                running += b.running;
                done += b.done;
                failed += b.failed;
            }
            parts.add(running + "/" + total + " blocks running, " + done + " done, " + failed + " failed");
        }
        Set<String> pending = new LinkedHashSet<>();
        commands.values().forEach(r -> pending.addAll(r.pending()));
        if (!pending.isEmpty()) {
            parts.add(pending.size() + (pending.size() == 1 ? " host" : " hosts") + " pending ("
                    + String.join(", ", hostLists.compress(new ArrayList<>(pending))) + ")");
        }
        if (!transfers.isEmpty()) {
            parts.add(glyphs.transfer() + " " + transferred());
        }
        parts.add(Units.duration(Duration.between(began, now)));
        return String.join(" " + glyphs.separator() + " ", parts);
    }

    private String transferred() {
        long done = 0;
        long total = 0;
        boolean known = true;
        for (Transfer t : transfers.values()) {
            done += t.done();
            total += t.total();
            known &= t.total() > 0;
        }
        String files = transfers.size() == 1 ? "" : transfers.size() + " files ";
        if (!known) {
            return files + Units.bytes(done);
        }
        return files + Units.bytes(done) + "/" + Units.bytes(total) + " (" + (int) (done * 100 / total) + "%)";
    }
}
