package dev.capstan.deploy;

import static dev.capstan.Shell.quote;

import dev.capstan.CapstanException;
import dev.capstan.TaskContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;

/**
 * The {@code git} strategy: each server keeps a mirror of the repository under {@code shared/repo},
 * fetches into it, and archives the revision into the release. The revision is resolved once, on this
 * machine with JGit, so that every server deploys the same commit.
 */
final class GitStrategy implements Strategy {

    @Override
    public List<String> checkLocal(TaskContext ctx) {
        List<String> missing = new ArrayList<>();
        if (ctx.fetch("repository", null) == null) {
            missing.add("variable repository is not set: name the git repository URL");
        }
        return missing;
    }

    @Override
    public String remoteRequirement() {
        return "command -v git >/dev/null && command -v tar >/dev/null";
    }

    @Override
    public String revision(TaskContext ctx) {
        synchronized (GitStrategy.class) {
            String known = ctx.fetch("git_revision", null);
            if (known != null) {
                return known;
            }
            String repository = ctx.fetch("repository").toString();
            String branch = ctx.fetch("branch", "main").toString();
            String revision = resolve(repository, branch);
            ctx.set("git_revision", revision);
            return revision;
        }
    }

    /** The commit id {@code branch} names in {@code repository}: opened locally when it is a path, else listed remotely. */
    static String resolve(String repository, String branch) {
        Path local = localPath(repository);
        try {
            if (local != null) {
                try (Repository repo = Git.open(local.toFile()).getRepository()) {
                    ObjectId id = repo.resolve(branch);
                    if (id == null) {
                        id = repo.resolve("refs/heads/" + branch);
                    }
                    if (id == null) {
                        throw new CapstanException("git: branch or revision '" + branch + "' not found in " + repository);
                    }
                    return id.name();
                }
            }
            Collection<Ref> refs = Git.lsRemoteRepository().setRemote(repository).setHeads(true).setTags(true).call();
            for (Ref ref : refs) {
                if (ref.getName().equals("refs/heads/" + branch) || ref.getName().equals("refs/tags/" + branch)) {
                    return ref.getObjectId().name();
                }
            }
            if (branch.matches("[0-9a-f]{40}")) {
                return branch;
            }
            throw new CapstanException("git: branch '" + branch + "' not found in " + repository);
        } catch (IOException | GitAPIException e) {
            throw new CapstanException("git: cannot read " + repository + ": " + e.getMessage(), e);
        }
    }

    private static Path localPath(String repository) {
        String path = repository.startsWith("file://") ? repository.substring("file://".length()) : repository;
        if (path.contains("://") || path.matches("[^/]+@[^:]+:.*")) {
            return null;
        }
        Path p = Path.of(path);
        return Files.exists(p) ? p : null;
    }

    @Override
    public void deploy(TaskContext ctx) {
        String repository = ctx.fetch("repository").toString();
        String revision = revision(ctx);
        ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            String mirror = quote(layout.repoMirror());
            return "if [ -d " + mirror + " ]; then git --git-dir=" + mirror + " remote set-url origin " + quote(repository)
                    + " && git --git-dir=" + mirror + " fetch -q --prune origin '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*';"
                    + " else git clone -q --mirror " + quote(repository) + " " + mirror + "; fi"
                    + " && mkdir -p " + quote(layout.releasePath())
                    + " && git --git-dir=" + mirror + " archive " + quote(revision) + " | tar -x -C " + quote(layout.releasePath());
        });
    }

    /** For {@code deploy:pending}: the commits between the deployed revision and the branch, on this machine. */
    static List<String> log(String repository, String from, String to) {
        Path local = localPath(repository);
        if (local == null) {
            return null;
        }
        List<String> lines = new ArrayList<>();
        try (Git git = Git.open(local.toFile())) {
            Repository repo = git.getRepository();
            ObjectId head = repo.resolve(to);
            ObjectId since = repo.resolve(from);
            if (head == null) {
                throw new CapstanException("git: '" + to + "' not found in " + repository);
            }
            var log = git.log().add(head);
            if (since != null) {
                log.not(since);
            }
            log.call().forEach(c -> lines.add(c.abbreviate(8).name() + " " + c.getShortMessage()));
        } catch (IOException | GitAPIException e) {
            throw new CapstanException("git: cannot read " + repository + ": " + e.getMessage(), e);
        }
        return lines;
    }
}
