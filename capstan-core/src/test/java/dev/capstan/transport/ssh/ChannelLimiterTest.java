package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChannelLimiterTest {

    @Test
    void handsOutAtMostMaxSlots() {
        ChannelLimiter limiter = new ChannelLimiter(3);

        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isTrue();
        assertThat(limiter.tryAcquire()).isFalse();

        limiter.release();
        assertThat(limiter.tryAcquire()).isTrue();
    }

    @Test
    void aRefusalLowersTheLimitToWhatTheServerAccepted() {
        ChannelLimiter limiter = acquired(new ChannelLimiter(10), 4);
        limiter.release(); // the fourth open was refused

        limiter.refused();

        assertThat(limiter.limit()).isEqualTo(3);
        assertThat(limiter.tryAcquire()).isFalse();
    }

    @Test
    void theLimitNeverDropsBelowOne() {
        ChannelLimiter limiter = acquired(new ChannelLimiter(10), 1);
        limiter.release();

        limiter.refused();

        assertThat(limiter.limit()).isEqualTo(1);
        assertThat(limiter.tryAcquire()).isTrue();
    }

    @Test
    void successfulOpensRaiseTheLimitAgainUpToMax() {
        ChannelLimiter limiter = acquired(new ChannelLimiter(4), 2);
        limiter.refused();
        assertThat(limiter.limit()).isEqualTo(2);

        limiter.opened();
        limiter.opened();
        assertThat(limiter.limit()).isEqualTo(2);
        limiter.opened(); // about one more per `limit` successful opens
        assertThat(limiter.limit()).isEqualTo(3);

        for (int i = 0; i < 100; i++) {
            limiter.opened();
        }
        assertThat(limiter.limit()).isEqualTo(4);
    }

    @Test
    void releasingMoreThanAcquiredIsABug() {
        assertThatThrownBy(() -> new ChannelLimiter(2).release()).isInstanceOf(IllegalStateException.class);
    }

    private static ChannelLimiter acquired(ChannelLimiter limiter, int n) {
        for (int i = 0; i < n; i++) {
            assertThat(limiter.tryAcquire()).isTrue();
        }
        return limiter;
    }
}
