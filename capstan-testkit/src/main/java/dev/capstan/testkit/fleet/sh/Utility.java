package dev.capstan.testkit.fleet.sh;

import java.io.IOException;

/** A builtin or an emulated utility: runs in-process, returns an exit status. */
@FunctionalInterface
interface Utility {

    /**
     * @param p the arguments, streams and shell
     * @return the exit status
     * @throws IOException          an I/O error not handled by the utility: reported as {@code name: message}, status 1
     * @throws Proc.Usage           bad usage: reported as {@code name: message} with its status
     * @throws InterruptedException the command was stopped
     */
    int run(Proc p) throws IOException, Proc.Usage, InterruptedException;
}
