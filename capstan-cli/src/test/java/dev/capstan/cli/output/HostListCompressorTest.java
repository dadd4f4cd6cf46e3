package dev.capstan.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostListCompressorTest {

    private static String join(String... hosts) {
        return HostListCompressor.PLAIN.join(List.of(hosts));
    }

    @Test
    void consecutiveNumbersBecomeARange() {
        assertThat(join("web1", "web2", "web3", "web4")).isEqualTo("web[1-4]");
        assertThat(join("web4", "web2", "web3", "web1")).isEqualTo("web[1-4]");
    }

    @Test
    void gapsSplitRanges() {
        assertThat(join("web1", "web2", "web3", "web7", "web9", "web10")).isEqualTo("web[1-3,7,9-10]");
    }

    @Test
    void oneHostStaysAsItIs() {
        assertThat(join("web7")).isEqualTo("web7");
        assertThat(join("gateway")).isEqualTo("gateway");
        assertThat(join()).isEmpty();
    }

    @Test
    void zeroPaddingIsKept() {
        assertThat(join("web01", "web02", "web03")).isEqualTo("web[01-03]");
        assertThat(join("web08", "web09", "web10", "web11")).isEqualTo("web[08-11]");
        assertThat(join("web001", "web002", "web010")).isEqualTo("web[001-002,010]");
        // the same number written differently is a different host
        assertThat(join("web1", "web01")).isEqualTo("web[1,01]");
        // a padded run does not continue into a wider unpadded number
        assertThat(join("n08", "n09", "n100")).isEqualTo("n[08-09,100]");
    }

    @Test
    void differentPrefixesAreListedSeparatelyInOrderOfAppearance() {
        assertThat(join("web1", "db1", "web2", "db2", "lb")).isEqualTo("web[1-2],db[1-2],lb");
        assertThat(HostListCompressor.PLAIN.compress(List.of("web1", "db1", "web2"))).containsExactly("web[1-2]", "db1");
    }

    @Test
    void theNumberMayBeInsideTheNameAndAPortStaysOutside() {
        assertThat(join("web1.example.com", "web2.example.com", "web3.example.com")).isEqualTo("web[1-3].example.com");
        assertThat(join("web1.a.com", "web2.b.com")).isEqualTo("web1.a.com,web2.b.com");
        assertThat(join("127.0.0.2:2222", "127.0.0.3:2222", "127.0.0.4:2222")).isEqualTo("127.0.0.[2-4]:2222");
        assertThat(join("10.0.0.1:22", "10.0.0.2:2222")).isEqualTo("10.0.0.1:22,10.0.0.2:2222");
    }

    @Test
    void duplicatesAndIpv6() {
        assertThat(join("web1", "web1", "web2")).isEqualTo("web[1-2]");
        assertThat(join("::1", "fe80::2")).isEqualTo("::1,fe80::2");
    }

    @Test
    void aLongListEndsWithHowManyHostsItLeftOut() {
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            hosts.add("127.0.0.1:" + (30000 + 7 * i)); // ports with gaps: nothing to compress
        }

        String line = HostListCompressor.PLAIN.abbreviate(hosts, ", ", 160, "…");

        assertThat(line).hasSizeLessThanOrEqualTo(160 + ", … and 1000 more".length())
                .startsWith("127.0.0.1:30000, 127.0.0.1:30007, ");
        int shown = line.split(", ").length - 1;
        assertThat(line).endsWith(", … and " + (1000 - shown) + " more");
        assertThat(shown).isGreaterThan(5);
    }

    @Test
    void aListThatFitsIsNotCut() {
        List<String> hosts = new ArrayList<>();
        for (int i = 1; i <= 1000; i++) {
            hosts.add("web" + i);
        }
        assertThat(HostListCompressor.PLAIN.abbreviate(hosts, ", ", 160, "…")).isEqualTo("web[1-1000]");
    }
}
