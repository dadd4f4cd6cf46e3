package dev.capstan.engine;

import dev.capstan.CancelledException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs one action per job at once, each on its own virtual thread, and waits for all of them: the way
 * every command, upload and download reaches many servers. A failure on one job never stops the others;
 * an interrupt of the waiting thread interrupts every job and waits for them to end.
 */
final class ServerFanout {
    private ServerFanout() {
    }

    /** What one job does. */
    @FunctionalInterface
    interface Action<J, T> {
        T apply(J job) throws InterruptedException;
    }

    /** How one job ended: a value, or the exception it threw. */
    record Outcome<J, T>(J job, T value, RuntimeException error) {
        boolean failed() {
            return error != null;
        }
    }

    static <J, T> List<Outcome<J, T>> run(List<J> jobs, Action<J, T> action) {
        if (Thread.currentThread().isInterrupted()) {
            // a stop came while nothing ran (deferred until uninterruptible work ended): start nothing more
            return jobs.stream().map(job -> new Outcome<J, T>(job, null, new CancelledException("interrupted"))).toList();
        }
        if (jobs.size() == 1) {
            return List.of(runOne(jobs.get(0), action));
        }
        List<Outcome<J, T>> outcomes = new ArrayList<>(jobs.size());
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        try {
            List<Future<Outcome<J, T>>> futures = new ArrayList<>(jobs.size());
            for (J job : jobs) {
                futures.add(executor.submit(() -> runOne(job, action)));
            }
            for (Future<Outcome<J, T>> future : futures) {
                outcomes.add(future.get());
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
            throw new CancelledException("interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException("a fan-out job escaped its own error handling", e.getCause());
        } finally {
            executor.shutdownNow();
            executor.close();
        }
        return outcomes;
    }

    private static <J, T> Outcome<J, T> runOne(J job, Action<J, T> action) {
        try {
            return new Outcome<>(job, action.apply(job), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome<>(job, null, new CancelledException("interrupted"));
        } catch (RuntimeException e) {
            return new Outcome<>(job, null, e);
        }
    }
}
