package dev.capstan.transport.ssh;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Runs tasks on as many threads at once, all released together, the way the engine fans out. */
final class Concurrently {

    private Concurrently() {
    }

    /** Runs {@code count} tasks at once; returns their results in order, or throws the first failure. */
    static <T> List<T> run(int count, Task<T> task) throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                Callable<T> call = () -> {
                    gate.await();
                    return task.run(index);
                };
                futures.add(threads.submit(call));
            }
            gate.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        }
    }

    /**
     * A shell snippet that blocks until {@code parties} commands have reached it: proof, counted on the host, that
     * that many ran at the same time. Gives up after 20 s so a broken test fails instead of hanging.
     */
    static String barrier(String dir, int index, int parties) {
        return "mkdir -p " + dir + " && touch " + dir + "/" + index + " && i=0; while [ $(ls " + dir
                + " | wc -l) -lt " + parties + " ] && [ $i -lt 1000 ]; do sleep 0.02; i=$((i+1)); done; "
                + "[ $(ls " + dir + " | wc -l) -ge " + parties + " ]";
    }

    @FunctionalInterface
    interface Task<T> {
        T run(int index) throws Exception;
    }
}
