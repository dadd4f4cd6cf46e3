package dev.capstan;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Quoted words read by a real {@code /bin/sh}: what the command receives is the value, byte for byte. */
class ShellTest {
    private static final List<String> VALUES = List.of("plain", "", "it's", "a b", "$HOME", "`id`", "back\\slash",
            "'''", "two\nlines", "*", "ü-ß", "--flag=x,y", "~root");

    private static String sh(String script) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void aQuotedValueReachesTheCommandAsOneUnchangedWord() throws Exception {
        for (String value : VALUES) {
            assertThat(sh("printf '[%s]' " + Shell.quote(value))).as(value).isEqualTo("[" + value + "]");
            assertThat(sh("printf '[%s]' " + Shell.singleQuote(value))).as(value).isEqualTo("[" + value + "]");
        }
    }

    @Test
    void aQuotedWordSurvivesASecondShell() throws Exception {
        for (String value : VALUES) {
            String inner = "printf '[%s]' " + Shell.singleQuote(value);
            assertThat(sh("sh -c " + Shell.singleQuote(inner))).as(value).isEqualTo("[" + value + "]");
        }
    }

    @Test
    void onlyPlainlySafeWordsStayUnquoted() {
        assertThat(Shell.quote("web-1.example.com:/srv/app_2")).isEqualTo("web-1.example.com:/srv/app_2");
        assertThat(Shell.quote("")).isEqualTo("''");
        assertThat(Shell.quote("it's")).isEqualTo("'it'\\''s'");
        assertThat(Shell.singleQuote("plain")).isEqualTo("'plain'");
    }
}
