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
        assertThat(masking.mask("PIN=42 took 1425 ms on 127.0.0.42:2222")).isEqualTo("PIN=**** took 1425 ms on 127.0.0.42:2222");
        assertThat(masking("abcd").mask("xabcdx")).isEqualTo("x****x"); // four characters and more: anywhere
    }

    @Test
    void overlappingSecretsAreMaskedTogetherSoNoPartOfEitherShows() {
        SecretMasking masking = masking("ALPHA-user-name-PART", "PART-of-the-longer-api-key-value");
        assertThat(masking.mask("echo ALPHA-user-name-PART-of-the-longer-api-key-value done")).isEqualTo("echo **** done");
    }

    @Test
    void aSecretQuotedThreeTimesIsMasked() {
        String q = "it's-SECRETQ-value";
        String line = "sudo -- sh -c " + Shell.quote("bash -c " + Shell.quote("echo " + Shell.quote(q)));
        assertThat(masking(q).mask(line)).doesNotContain("SECRETQ");
    }

    @Test
    void aSecretThatEscapeSequencesSplitIsMaskedAndColoursAreKeptElsewhere() {
        SecretMasking masking = masking("Xk9-4711-secretval", "1");
        String grepped = "DB_PASSWORD=Xk9-\u001B[01;31m\u001B[K4711\u001B[m\u001B[K-secretval";
        assertThat(masking.mask(grepped)).isEqualTo("DB_PASSWORD=****");
        // a short secret never lands inside an escape sequence, nor inside a version, an address or a duration
        assertThat(masking.mask("\u001B[1;31mexit 1\u001B[0m in 1.25 s on 10.0.0.1"))
                .isEqualTo("\u001B[1;31mexit ****\u001B[0m in 1.25 s on 10.0.0.1");
    }

    @Test
    void aShortSecretReadFromAFileWithItsNewlineIsMasked() {
        assertThat(masking("739\n").mask("pin is 739")).isEqualTo("pin is ****");
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
