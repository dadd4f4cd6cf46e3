package dev.capstan.engine;

import dev.capstan.BlockBody;
import dev.capstan.Blocks;
import dev.capstan.CancelledException;
import dev.capstan.ConfigException;
import dev.capstan.ParallelizeException;
import dev.capstan.ParallelizeException.BlockFailure;
import dev.capstan.Server;
import dev.capstan.event.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * {@code parallelize}: each block on its own virtual thread with its own context, in chunks (the next
 * chunk only after every block of the current one succeeded) or in a sliding window. When a block fails
 * or rolls back: wait for (or, fail-fast, cancel) the rest, roll back every block run so far, then the
 * caller's transaction, each handler once, and throw one {@link ParallelizeException}.
 */
final class Parallelizer {
    static final int DEFAULT_CHUNK_SIZE = 10;

    private final ExecutionContext caller;
    private final Integer chunkArgument;
    /** What the recipe called, for messages: parallelize, or eachServer (whose blocks are its servers). */
    private String what = "parallelize";
    private String unit = "block";

    Parallelizer(ExecutionContext caller, Integer chunkArgument) {
        this.caller = caller;
        this.chunkArgument = chunkArgument;
    }

    /** The blocks a recipe declared, and how to run them. */
    private static final class Declared implements Blocks {
        final List<Block> blocks = new ArrayList<>();
        boolean failFast;
        boolean slidingWindow;

        @Override
        public Blocks run(BlockBody block) {
            return run(null, block);
        }

        @Override
        public Blocks run(String name, BlockBody block) {
            return run(name, (Server) null, block);
        }

        /** A block whose context has {@code server} alone (null: the caller's servers), for {@code eachServer}. */
        Blocks run(String name, Server server, BlockBody block) {
            int index = blocks.size() + 1;
            blocks.add(new Block(index, name == null ? "block " + index : name, server,
                    Objects.requireNonNull(block, "block")));
            return this;
        }

        @Override
        public Blocks failFast() {
            failFast = true;
            return this;
        }

        @Override
        public Blocks slidingWindow() {
            slidingWindow = true;
            return this;
        }
    }

    /** One block and what became of it. */
    private static final class Block {
        final int index;
        final String name;
        /** The one server the block's context has, or null for the caller's servers. */
        final Server server;
        final BlockBody body;
        final Journal journal = new Journal();
        ExecutionContext context;
        volatile Thread thread;
        volatile boolean started;
        volatile boolean finished;
        volatile Throwable failure;
        volatile boolean cancelledBySibling;

        Block(int index, String name, Server server, BlockBody body) {
            this.index = index;
            this.name = name;
            this.server = server;
            this.body = body;
        }

        boolean failed() {
            return failure != null || journal.rolledBack();
        }
    }

    /**
     * One block per server, named by it, whose context has that server only. Under {@code onError(CONTINUE)} a block
     * whose server failed ends there: the task goes on without that server, as {@code run} does.
     */
    void runPerServer(List<Server> servers, BlockBody body) {
        BlockBody untilDropped = c -> {
            try {
                body.run(c);
            } catch (RuntimeException e) {
                // its server failed and the task goes on without it (also when that happened in a parallelize nested
                // in the block, whose failure then only says so): the block is done, not failed
                if (e instanceof CancelledException || !(e instanceof ServerDropped || c.servers().isEmpty())) {
                    throw e;
                }
            }
        };
        what = "eachServer";
        unit = "server";
        run(declared -> servers.forEach(server -> ((Declared) declared).run(server.label(), server, untilDropped)));
    }

    void run(Consumer<Blocks> declaration) {
        Declared declared = new Declared();
        declaration.accept(declared);
        Engine engine = caller.engine();
        String task = caller.task();
        List<Block> blocks = declared.blocks;
        if (blocks.isEmpty()) {
            engine.log(Event.Level.INFO, task, "parallelize: no blocks to run");
            return;
        }
        int chunkSize = chunkSize();
        long id = engine.nextId();
        engine.log(Event.Level.INFO, task, "Running " + blocks.size() + " " + unit + (blocks.size() == 1 ? "" : "s")
                + (what.equals("eachServer") ? (chunkSize >= blocks.size() ? " at once, each at its own pace"
                        : " in batches of " + chunkSize + ", each at its own pace")
                : (declared.slidingWindow ? " in a sliding window of " : " in chunks of ") + chunkSize));
        engine.emit(new Event.ParallelizeStarted(Instant.now(), id, task, blocks.size(), chunkSize, declared.slidingWindow));
        boolean cancelled = declared.slidingWindow
                ? runWindow(id, blocks, chunkSize, declared.failFast)
                : runChunks(id, blocks, chunkSize, declared.failFast);

        List<Block> failed = blocks.stream().filter(Block::failed).toList();
        int notStarted = (int) blocks.stream().filter(b -> !b.started).count();
        try {
            finish(id, blocks, failed, notStarted, cancelled);
        } finally {
            blocks.forEach(b -> engine.closed(b.journal));
        }
    }

    private void finish(long id, List<Block> blocks, List<Block> failed, int notStarted, boolean cancelled) {
        Engine engine = caller.engine();
        engine.emit(new Event.ParallelizeFinished(Instant.now(), id, blocks.size() - failed.size() - notStarted, failed.size(), notStarted));
        if (failed.isEmpty() && !cancelled) {
            if (engine.options().dryRun()) {
                showRollbackPlan(blocks);
            }
            // The blocks' handlers join the caller's transaction, for a failure after parallelize returns; a caller
            // that is itself a block outside a transaction keeps them in its block's journal, so that the outer
            // parallelize rolls them back with that block (they were dropped).
            Journal open = caller.openTransaction();
            Journal keeper = open != null ? open : caller.nearestBlockJournal();
            if (keeper != null) {
                blocks.forEach(b -> keeper.addAll(b.journal));
            }
            return;
        }
        List<ParallelizeException.BlockFailure> failures = failed.stream().map(this::describe).toList();
        Rollbacks.Outcome rollback = rollBackAll(id, blocks,
                new ParallelizeException(what, unit, failures, blocks.size(), "rolling back every block run so far"));
        if (cancelled && failed.isEmpty()) {
            throw new CancelledException("interrupted during " + what);
        }
        // the first line says what the rollback came to, not what it was meant to do
        throw new ParallelizeException(what, unit, failures, blocks.size(), rollback.ran() == 0
                ? "no block run so far had anything to roll back"
                : rollback.failed() == 0 ? "every block run so far was rolled back"
                : "rolling back the blocks run so far, " + rollback.failed() + " of " + rollback.ran() + " rollback handler"
                        + (rollback.ran() == 1 ? "" : "s") + " failed");
    }

    private int chunkSize() {
        Object value = chunkArgument != null ? chunkArgument
                : caller.fetch("parallelize_thread_count", (Object) DEFAULT_CHUNK_SIZE);
        int size;
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            size = (int) ((Number) value).longValue();
        } else if (value instanceof String s && s.matches("\\d{1,9}")) {
            size = Integer.parseInt(s);
        } else {
            throw new ConfigException("parallelize: chunk size must be a positive integer, got '" + value + "'"
                    + (chunkArgument == null ? " (variable parallelize_thread_count)" : ""));
        }
        if (size < 1) {
            throw new ConfigException("parallelize: chunk size must be a positive integer, got " + size
                    + (chunkArgument == null ? " (variable parallelize_thread_count)" : ""));
        }
        return size;
    }

    /** Chunk after chunk; returns whether the caller was interrupted. */
    private boolean runChunks(long id, List<Block> blocks, int chunkSize, boolean failFast) {
        int chunks = (blocks.size() + chunkSize - 1) / chunkSize;
        for (int c = 0; c < chunks; c++) {
            List<Block> chunk = blocks.subList(c * chunkSize, Math.min(blocks.size(), (c + 1) * chunkSize));
            if (chunks > 1) {
                caller.engine().log(Event.Level.INFO, caller.task(), "Running batch " + (c + 1) + " of " + chunks + ": "
                        + String.join(", ", chunk.stream().map(b -> b.name).toList()));
            }
            caller.engine().emit(new Event.ChunkStarted(Instant.now(), id, c + 1, chunks, chunk.size()));
            Semaphore finished = new Semaphore(0);
            chunk.forEach(b -> start(id, b, finished));
            if (awaitAll(chunk, finished, failFast)) {
                return true;
            }
            if (chunk.stream().anyMatch(Block::failed)) {
                return false; // later chunks never start
            }
        }
        return false;
    }

    /** At most {@code window} blocks at once, the next as soon as one ends; none after a failure. */
    private boolean runWindow(long id, List<Block> blocks, int window, boolean failFast) {
        caller.engine().emit(new Event.ChunkStarted(Instant.now(), id, 1, 1, blocks.size()));
        Semaphore finished = new Semaphore(0);
        List<Block> running = new ArrayList<>();
        int next = 0;
        try {
            while (next < blocks.size() || running.stream().anyMatch(b -> !b.finished)) {
                boolean anyFailed = running.stream().anyMatch(Block::failed);
                long active = running.stream().filter(b -> !b.finished).count();
                if (!anyFailed && next < blocks.size() && active < window) {
                    Block b = blocks.get(next++);
                    running.add(b);
                    start(id, b, finished);
                    continue;
                }
                if (anyFailed && failFast) {
                    cancel(running, true);
                }
                if (active == 0) {
                    break;
                }
                finished.acquire();
            }
        } catch (InterruptedException e) {
            cancel(running, false);
            awaitQuietly(running);
            return true;
        }
        return false;
    }

    private void start(long id, Block block, Semaphore finished) {
        ExecutionContext context = caller.forBlock(block.journal, id + "." + block.index);
        block.context = block.server == null ? context : context.forServer(block.server);
        block.started = true;
        caller.engine().opened(block.journal);
        block.thread = Thread.ofVirtual().name("capstan-block-" + block.index).unstarted(() -> {
            Engine engine = caller.engine();
            long started = System.nanoTime();
            engine.emit(new Event.BlockStarted(Instant.now(), id, block.index, block.name));
            try {
                block.body.run(block.context);
            } catch (Throwable t) {
                block.failure = t;
            } finally {
                if (block.server != null && block.context.servers().isEmpty()) {
                    // a server dropped under onError(CONTINUE) keeps its work: its handlers never run, not even
                    // when a sibling or the caller rolls back later (they would find no server to run on)
                    block.journal.discard();
                }
                String failure = block.failure != null ? Rollbacks.firstLine(block.failure)
                        : block.journal.rolledBack() ? "rolled back" : null;
                engine.emit(new Event.BlockFinished(Instant.now(), id, block.index, block.name,
                        Duration.ofNanos(System.nanoTime() - started), failure));
                block.finished = true;
                finished.release();
            }
        });
        block.thread.start();
    }

    /** Waits for every block of a chunk; returns whether the caller was interrupted. */
    private boolean awaitAll(List<Block> chunk, Semaphore finished, boolean failFast) {
        int done = 0;
        try {
            while (done < chunk.size()) {
                finished.acquire();
                done++;
                if (failFast && chunk.stream().anyMatch(Block::failed)) {
                    cancel(chunk, true);
                }
            }
            return false;
        } catch (InterruptedException e) {
            cancel(chunk, false);
            awaitQuietly(chunk);
            return true;
        }
    }

    /**
     * Interrupts the blocks still running: their commands' channels close, so remote commands end.
     *
     * @param bySibling fail-fast after a sibling failed, as opposed to the caller's interrupt (Ctrl-C)
     */
    private static void cancel(List<Block> blocks, boolean bySibling) {
        for (Block b : blocks) {
            Thread t = b.thread;
            if (t != null && !b.finished) {
                b.cancelledBySibling = bySibling;
                t.interrupt();
            }
        }
    }

    /** Waits for cancelled blocks to end, keeping the caller's interrupt for later. */
    private static void awaitQuietly(List<Block> blocks) {
        for (Block b : blocks) {
            Thread t = b.thread;
            while (t != null && t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException again) {
                    // a second interrupt does not abandon running blocks; they end soon after their interrupt
                }
            }
        }
        Thread.currentThread().interrupt();
    }

    /**
     * Under {@code -n}: the chunk schedule was logged as it ran; now show what a failure would roll back,
     * by running every block's handlers (their commands only print), latest block first.
     */
    private void showRollbackPlan(List<Block> blocks) {
        Engine engine = caller.engine();
        int total = blocks.stream().mapToInt(b -> b.journal.pending()).sum();
        Journal open = caller.openTransaction();
        int callers = open == null ? 0 : open.pending();
        if (total == 0 && callers == 0) {
            engine.log(Event.Level.INFO, caller.task(), "rollback plan: no block registered a rollback handler");
            return;
        }
        engine.log(Event.Level.INFO, caller.task(), "rollback plan: if a block fails, every block started so far is rolled back,"
                + " latest first, then the caller's transaction (" + callers + " handler" + (callers == 1 ? "" : "s") + ")");
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block block = blocks.get(i);
            int pending = block.journal.pending();
            if (pending > 0) {
                engine.log(Event.Level.INFO, caller.task(), "rollback plan: " + block.name + ": " + pending + " handler"
                        + (pending == 1 ? "" : "s"));
                engine.rollbacks().rollBack(caller.task(), block.journal.snapshot(0),
                        new CancelledException("dry run: what a failure would roll back"));
            }
        }
    }

    /** Every block run so far, latest first, then the caller's transaction: each handler once. */
    private Rollbacks.Outcome rollBackAll(long id, List<Block> blocks, ParallelizeException error) {
        Engine engine = caller.engine();
        Rollbacks.Outcome outcome = Rollbacks.Outcome.NONE;
        for (int i = blocks.size() - 1; i >= 0; i--) {
            Block block = blocks.get(i);
            if (!block.started) {
                continue;
            }
            int pending = block.journal.pending();
            if (pending > 0) {
                engine.emit(new Event.BlockRollback(Instant.now(), id, block.index, block.name, pending));
                outcome = outcome.plus(engine.rollbacks().rollBack(caller.task(), block.journal.snapshot(0), error));
            }
        }
        Journal open = caller.openTransaction();
        if (open != null) {
            outcome = outcome.plus(engine.rollbacks().rollBack(caller.task(), open.snapshot(0), error));
        }
        return outcome;
    }

    private BlockFailure describe(Block block) {
        ExecutionContext context = block.context;
        String task = context == null ? caller.task() : context.task();
        List<Server> servers = context == null ? List.of() : context.servers();
        ExecutionContext.Failure inner = context == null ? null : context.blockFailure();
        if (block.failure instanceof ParallelizeException nested && !nested.failures().isEmpty()) {
            task = nested.failures().get(0).task();
            servers = nested.failures().get(0).servers();
        } else if (inner != null) {
            task = inner.task();
            servers = inner.servers();
        }
        Throwable cause = block.cancelledBySibling && block.failure instanceof CancelledException
                ? new CancelledException("cancelled (fail-fast) after a sibling block failed") : block.failure;
        return new BlockFailure(block.index, block.name, task, servers, cause);
    }
}
