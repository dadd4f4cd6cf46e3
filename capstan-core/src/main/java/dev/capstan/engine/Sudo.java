package dev.capstan.engine;

import dev.capstan.Shell;
import dev.capstan.model.Variables;
import dev.capstan.transport.Prompt;

/**
 * How capstan runs {@code sudo}: with a prompt of its own, answered from variable {@code sudo_password}
 * or asked once per run, and kept as a secret so that it is masked everywhere.
 */
final class Sudo {
    /** The password prompt capstan asks sudo to print: unlikely to appear in any other output. */
    static final String PROMPT = "[capstan] sudo password: ";

    private final Variables variables;
    private final SecretPrompt prompt;

    Sudo(Variables variables, SecretPrompt prompt) {
        this.variables = variables;
        this.prompt = prompt;
    }

    /** The command line for {@code command} run by sudo, as root or as {@code user}. */
    static String line(String command, String user) {
        return "sudo -p " + Shell.quote(PROMPT) + (user == null ? "" : " -u " + Shell.quote(user)) + " -- sh -c " + Shell.quote(command);
    }

    /** How to answer sudo's prompt; the password is looked up (or asked) only when sudo asks. */
    Prompt answer() {
        return new Prompt(PROMPT, this::password);
    }

    private synchronized String password() {
        Object known = variables.get("sudo_password");
        if (known != null) {
            return known instanceof char[] chars ? new String(chars) : known.toString();
        }
        char[] typed = prompt.ask("sudo password (asked once for this run): ");
        if (typed == null) {
            return null;
        }
        String password = new String(typed);
        java.util.Arrays.fill(typed, '\0');
        variables.secret("sudo_password", password);
        return password;
    }
}
