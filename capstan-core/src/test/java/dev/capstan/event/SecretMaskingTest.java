package dev.capstan.event;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.Shell;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The forms a secret takes in output, each masked. */
class SecretMaskingTest {

    private static SecretMasking masking(String... secrets) {
        return new SecretMasking(EventSink.NONE, () -> Set.of(secrets));
    }

    @Test
    void aSecretWithAQuoteIsMaskedAsShellQuotingAndSudoWriteIt() {
        String token = "it's-S3cr3t";
        String once = "curl -fsu " + Shell.quote("ci:" + token) + " http://example/";
        String twice = "sudo -- sh -c " + Shell.quote(once);

        assertThat(masking(token).mask(once)).isEqualTo("curl -fsu 'ci:****' http://example/").doesNotContain("S3cr3t");
        assertThat(masking(token).mask(twice)).doesNotContain("S3cr3t").contains("****");
    }

    @Test
    void aSecretThatSpansLinesIsMaskedLineByLine() {
        String key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nMULTILINEbody\n-----END OPENSSH PRIVATE KEY-----\n";
        SecretMasking masking = masking(key);

        List<String> shown = new ArrayList<>();
        key.lines().forEach(line -> shown.add(masking.mask("web1 | " + line)));

        assertThat(shown).containsExactly("web1 | ****", "web1 | ****", "web1 | ****", "web1 | ****");
        assertThat(masking.mask("exit status 3\n" + key.indent(4))).doesNotContain("b3BlbnNzaC1rZXktdjEAAAAA", "MULTILINEbody");
    }

    @Test
    void aShortSecretIsMaskedWhereItStandsAloneNotInsideWordsAndNumbers() {
        SecretMasking masking = masking("e", "42");

        assertThat(masking.mask("echo e >&2; false")).isEqualTo("echo **** >&2; false");
        assertThat(masking.mask("PIN=42 took 1425 ms on 127.0.0.42:2222")).isEqualTo("PIN=**** took 1425 ms on 127.0.0.****:2222");
        assertThat(masking("abcd").mask("xabcdx")).isEqualTo("x****x"); // four characters and more: anywhere
    }

    @Test
    void theLongestFormIsMaskedFirstSoNoPartOfALongerSecretShows() {
        assertThat(masking("abcd", "abcdefgh").mask("key abcdefgh")).isEqualTo("key ****");
    }

    @Test
    void parallelizeBlockNamesAndTransferPathsAreMasked() {
        List<Event> seen = new ArrayList<>();
        SecretMasking masking = new SecretMasking(seen::add, () -> Set.of("tok\"en\\1"));
        Instant now = Instant.now();

        masking.emit(new Event.BlockStarted(now, 1, 0, "push tok\"en\\1"));
        masking.emit(new Event.TaskStarted(now, "push", 0, List.of(), "push tok\"en\\1"));
        masking.emit(new Event.TransferProgress(now, dev.capstan.Server.parse("web1"), "/tmp/tok\"en\\1", 1, 1));

        assertThat(seen).extracting(Object::toString).allSatisfy(text -> assertThat(text).doesNotContain("tok\"en"));
    }
}
