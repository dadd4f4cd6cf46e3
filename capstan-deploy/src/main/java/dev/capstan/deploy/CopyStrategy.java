package dev.capstan.deploy;

import static dev.capstan.Shell.quote;

import dev.capstan.CapstanException;
import dev.capstan.TaskContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The {@code copy} strategy: optionally build locally ({@code build_command}), take the artifact (a jar,
 * war or tar.gz) or pack the directory named by {@code repository}, upload it once to every server at
 * once, and unpack it into the release.
 */
final class CopyStrategy implements Strategy {

    /**
     * The file to upload, how to put it into a release, whether capstan made it (and removes it), and its SHA-256,
     * worked out on another thread while the file goes up: for a 50 MB artifact that is a few hundred ms less.
     */
    record Artifact(Path file, boolean tarball, String name, boolean temporary, CompletableFuture<String> sha256) {

        Artifact(Path file, boolean tarball, String name, boolean temporary) {
            this(file, tarball, name, temporary, new CompletableFuture<>());
            Thread.ofVirtual().name("capstan-artifact-digest").start(() -> {
                try {
                    sha256.complete(digest(file));
                } catch (RuntimeException e) {
                    sha256.completeExceptionally(e);
                }
            });
        }

        /** The revision this artifact stands for: the start of its SHA-256. */
        String revision() {
            try {
                return sha256.join().substring(0, 12);
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
        }
    }

    @Override
    public List<String> checkLocal(TaskContext ctx) {
        List<String> missing = new ArrayList<>();
        Object repository = ctx.fetch("repository", null);
        if (repository == null) {
            missing.add("variable repository is not set: name the local directory or artifact (jar, war, tar.gz) to deploy");
        } else if (!Files.exists(Path.of(repository.toString()))) {
            missing.add("repository " + repository + " does not exist on this machine");
        }
        return missing;
    }

    @Override
    public String remoteRequirement() {
        return "command -v tar >/dev/null";
    }

    @Override
    public String revision(TaskContext ctx) {
        Object given = ctx.fetch("copy_revision", null);
        if (given != null) {
            return given.toString();
        }
        if (ctx.dryRun()) {
            return "(dry run)";
        }
        synchronized (CopyStrategy.class) {
            // resolved once per run (the upload resolves it, before it removes a packed artifact)
            String resolved = ctx.fetch("copy_revision_resolved", null);
            if (resolved == null) {
                resolved = artifact(ctx).revision();
                ctx.set("copy_revision_resolved", resolved);
            }
            return resolved;
        }
    }

    /**
     * Builds and packs once per run; the result is kept in variable {@code copy_artifact}. In a dry run the build and
     * the packing are shown, not run, and the artifact is a name: nothing is made, digested or removed.
     */
    static Artifact artifact(TaskContext ctx) {
        synchronized (CopyStrategy.class) {
            Artifact existing = ctx.fetch("copy_artifact", null);
            if (existing != null) {
                return existing;
            }
            Path source = Path.of(ctx.fetch("repository").toString()).toAbsolutePath();
            Object build = ctx.fetch("build_command", null);
            if (build != null) {
                // where capstan runs, the project's directory, as Capistrano's local steps run: not the repository's,
                // which the build may be about to make (target/app.jar before the first mvn package)
                ctx.runLocally(build.toString());
            }
            Artifact artifact;
            String name = source.getFileName().toString();
            // in a dry run the build has not made it yet: a name that is no artifact's is a directory to pack
            boolean packed = Files.isDirectory(source) || (ctx.dryRun() && !Files.exists(source) && !isArtifactName(name));
            if (packed) {
                Path tarball = ctx.dryRun()
                        ? Path.of(System.getProperty("java.io.tmpdir"), ctx.fetch("application") + "-release.tar.gz")
                        : tempFile(ctx.fetch("application") + "-release", ".tar.gz");
                ctx.runLocally("tar czf " + quote(tarball.toString()) + " -C " + quote(source.toString()) + " .");
                source = tarball;
                name = name + ".tar.gz";
            }
            boolean tarball = packed || name.endsWith(".tar.gz") || name.endsWith(".tgz");
            artifact = ctx.dryRun()
                    ? new Artifact(source, tarball, name, false,
                            CompletableFuture.failedFuture(new IllegalStateException("dry run: nothing was packed")))
                    : new Artifact(source, tarball, name, packed);
            ctx.set("copy_artifact", artifact);
            return artifact;
        }
    }

    private static boolean isArtifactName(String name) {
        return name.endsWith(".jar") || name.endsWith(".war") || name.endsWith(".tar.gz") || name.endsWith(".tgz")
                || name.endsWith(".zip");
    }

    @Override
    public void deploy(TaskContext ctx) {
        Artifact artifact = artifact(ctx);
        try {
            // one upload per server, all servers at once; the staging name is per release, under deploy_to
            ctx.upload(artifact.file().toString(), s -> staging(ctx, s, artifact), o -> { });
        } finally {
            if (artifact.temporary()) {
                keepRevision(ctx, artifact); // its digest, done meanwhile, is the revision: taken before the file goes
                ctx.set("copy_artifact", null);
                artifact.file().toFile().delete();
            }
        }
        ctx.run(s -> {
            Layout layout = Layout.of(ctx, s);
            String staged = quote(staging(ctx, s, artifact));
            String release = quote(layout.releasePath());
            return artifact.tarball()
                    ? "mkdir -p " + release + " && tar xzf " + staged + " -C " + release + " && rm -f " + staged
                    : "mkdir -p " + release + " && mv " + staged + " " + release + "/" + quote(artifact.name());
        });
    }

    /**
     * Waits for the artifact's digest and keeps the revision, unless resolved already. Never throws: from a
     * {@code finally}, it must not hide why the upload failed; a digest that failed is worked out again on demand.
     */
    private static void keepRevision(TaskContext ctx, Artifact artifact) {
        String revision;
        try {
            revision = artifact.revision();
        } catch (RuntimeException e) {
            return;
        }
        synchronized (CopyStrategy.class) {
            if (ctx.fetch("copy_revision_resolved", null) == null) {
                ctx.set("copy_revision_resolved", revision);
            }
        }
    }

    private static String staging(TaskContext ctx, dev.capstan.Server server, Artifact artifact) {
        Layout layout = Layout.of(ctx, server);
        return layout.releases() + "/.upload-" + layout.release() + "-" + artifact.name();
    }

    private static Path tempFile(String prefix, String suffix) {
        try {
            Path file = Files.createTempFile(prefix, suffix);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String digest(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new CapstanException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
