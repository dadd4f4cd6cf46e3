package dev.capstan;

/** The body of {@link TaskContext#transaction} or of a rollback handler: {@code () -> ...}. */
@FunctionalInterface
public interface TransactionBody {
    void run() throws Exception;
}
