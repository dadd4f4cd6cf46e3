package dev.capstan.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code capstan init}: writes a commented starter recipe for a Java service (jar + systemd unit). */
final class InitCommand implements Callable<Integer> {

    private final Main main;

    InitCommand(Main main) {
        this.main = main;
    }

    @Override
    public Integer call() throws IOException {
        Integer refused = main.refuseTaskArguments("init", false);
        if (refused != null) {
            return refused;
        }
        Path target = main.file;
        try (InputStream template = InitCommand.class.getResourceAsStream("init-Capfile.java.txt")) {
            if (template == null) {
                throw new IllegalStateException("the starter recipe is missing from capstan's jar");
            }
            Path parent = target.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Files.write(target, template.readAllBytes(), java.nio.file.StandardOpenOption.CREATE_NEW);
        } catch (FileAlreadyExistsException e) {
            main.err().println("capstan: " + target + " already exists; not overwriting it");
            return Main.USAGE;
        }
        main.out().println("wrote " + target + ": edit application, servers and restart_command, then run capstan -T");
        return Main.OK;
    }
}
