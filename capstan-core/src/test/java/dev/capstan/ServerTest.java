package dev.capstan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ServerTest {

    @Test
    void parsesUserHostAndPort() {
        Server s = Server.parse("deploy@web1.example.com:2222");
        assertThat(s.user()).isEqualTo("deploy");
        assertThat(s.host()).isEqualTo("web1.example.com");
        assertThat(s.port()).isEqualTo(2222);
        assertThat(s.spec()).isEqualTo("deploy@web1.example.com:2222");
        assertThat(s.label()).isEqualTo("web1.example.com:2222");
    }

    @Test
    void userAndPortAreOptional() {
        Server s = Server.parse("web2");
        assertThat(s.user()).isNull();
        assertThat(s.port()).isZero();
        assertThat(s.spec()).isEqualTo("web2");
    }

    @Test
    void bracketedIpv6WithPort() {
        Server s = Server.parse("[::1]:22");
        assertThat(s.host()).isEqualTo("::1");
        assertThat(s.port()).isEqualTo(22);
        assertThat(s.spec()).isEqualTo("[::1]:22");
    }

    @Test
    void ipv6WithoutBracketsIsAHostWithoutAPortAsSshTakesIt() {
        Server s = Server.parse("deploy@::1");
        assertThat(s.user()).isEqualTo("deploy");
        assertThat(s.host()).isEqualTo("::1");
        assertThat(s.port()).isZero();
        assertThat(Server.parse("fe80::1:2").host()).isEqualTo("fe80::1:2");
        // output writes a port apart from the address
        assertThat(Server.parse("[::1]:2407").label()).isEqualTo("[::1]:2407");
        assertThat(s.label()).isEqualTo("::1");
    }

    @Test
    void malformedHostsAreRejectedWithTheSpecInTheMessage() {
        assertThatThrownBy(() -> Server.parse("web1:abc")).hasMessageContaining("malformed host 'web1:abc'");
        assertThatThrownBy(() -> Server.parse("a@@b")).hasMessageContaining("malformed host 'a@@b'");
        assertThatThrownBy(() -> Server.parse("web 1")).hasMessageContaining("malformed host 'web 1'");
        assertThatThrownBy(() -> Server.parse("web1:70000")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> Server.parse("")).hasMessageContaining("empty host");
    }

    @Test
    void predicatesOnRolesHostsAndProperties() {
        Server s = Server.parse("web1").withRoles(java.util.Set.of("web")).withProperty("primary", true);
        assertThat(Server.in("web").test(s)).isTrue();
        assertThat(Server.in("db").test(s)).isFalse();
        assertThat(Server.hostMatches("^web\\d").test(s)).isTrue();
        assertThat(Server.property("primary", true).test(s)).isTrue();
        assertThat(s.flag("primary")).isTrue();
        assertThat(s.flag("no_release")).isFalse();
    }

    /** Equality is the record's: every component counts; sameAs is the looser identity (user, host and port). */
    @Test
    void equalServersHaveEveryComponentInCommon() {
        Server web = Server.parse("deploy@web1:2222").withRoles(java.util.Set.of("web", "app")).withProperty("primary", true);
        Server again = Server.parse("deploy@web1:2222").withRoles(java.util.Set.of("app", "web")).withProperty("primary", true);
        assertThat(again).isEqualTo(web).hasSameHashCodeAs(web);
        assertThat(new java.util.HashSet<>(java.util.List.of(web, again))).hasSize(1);

        assertThat(web.withProperty("primary", false)).isNotEqualTo(web);
        assertThat(web.withRoles(java.util.Set.of("db"))).isNotEqualTo(web).matches(s -> s.sameAs(web));
        assertThat(Server.parse("web1:2222")).isNotEqualTo(Server.parse("deploy@web1:2222"));
        assertThat(Server.parse("web1:2222")).isEqualTo(Server.parse("web1:2222")).isNotEqualTo(Server.parse("web1"));
        assertThat(web).isNotEqualTo("deploy@web1:2222").isNotEqualTo(null);
    }
}
