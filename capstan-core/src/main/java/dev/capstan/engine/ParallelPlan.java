package dev.capstan.engine;

import dev.capstan.ParallelBranches;
import dev.capstan.Server;
import dev.capstan.transport.Command;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The branches of {@code parallel}, and which commands they give each server: every matching
 * {@code when} runs (each on its own channel), a branch marked last stops later ones, {@code otherwise}
 * runs only where no {@code when} matched.
 */
final class ParallelPlan implements ParallelBranches {

    private record Branch(Predicate<Server> condition, String command, boolean last) { }

    private final List<Branch> branches = new ArrayList<>();
    private String otherwise;

    @Override
    public ParallelBranches when(Predicate<Server> condition, String command) {
        return when(condition, command, false);
    }

    @Override
    public ParallelBranches when(Predicate<Server> condition, String command, boolean last) {
        branches.add(new Branch(Objects.requireNonNull(condition, "condition"), Objects.requireNonNull(command, "command"), last));
        return this;
    }

    @Override
    public ParallelBranches otherwise(String command) {
        otherwise = Objects.requireNonNull(command, "command");
        return this;
    }

    /** Every (server, command) pair to run, server by server in the order given. */
    List<Job> jobs(List<Server> servers) {
        List<Job> jobs = new ArrayList<>();
        for (Server server : servers) {
            boolean matched = false;
            for (Branch branch : branches) {
                if (branch.condition().test(server)) {
                    jobs.add(new Job(server, Command.of(branch.command())));
                    matched = true;
                    if (branch.last()) {
                        break;
                    }
                }
            }
            if (!matched && otherwise != null) {
                jobs.add(new Job(server, Command.of(otherwise)));
            }
        }
        return jobs;
    }
}
