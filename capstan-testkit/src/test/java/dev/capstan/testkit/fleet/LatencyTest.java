package dev.capstan.testkit.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;

import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.Test;

/**
 * The simulated WAN: a one-way delay on every message, both directions, order kept. Only lower bounds are asserted:
 * a loaded machine may always be slower, never faster.
 */
class LatencyTest {

    @Test
    void oneCommandOnAnOpenConnectionCostsAtLeastTwoOneWayDelays() throws Exception {
        try (SimulatedFleet fleet = SimulatedFleet.start(SimulatedFleet.Options.defaults()
                .withLatency(Duration.ofMillis(50)));
                FleetClient client = new FleetClient(fleet);
                ClientSession session = client.login(fleet.host(0))) {
            FleetClient.exec(session, "true"); // warm up
            long start = System.nanoTime();
            FleetClient.Result r = FleetClient.exec(session, "true");
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(r.status()).isZero();
            // channel open, then exec until close: two round trips of 2 x 50 ms; at least one is certain
            assertThat(millis).isGreaterThanOrEqualTo(100);
        }
    }

    @Test
    void bytesArriveIntactAndInOrderThroughTheDelay() throws Exception {
        byte[] payload = new byte[300_000];
        new Random(7).nextBytes(payload);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload));
        try (SimulatedFleet fleet = SimulatedFleet.start(SimulatedFleet.Options.defaults()
                .withLatency(Duration.ofMillis(5)));
                FleetClient client = new FleetClient(fleet);
                ClientSession session = client.login(fleet.host(0))) {
            FleetClient.Result r = FleetClient.exec(session, "cat > /tmp/blob && sha256sum < /tmp/blob && cat /tmp/blob | wc -c",
                    payload);
            assertThat(r.out()).isEqualTo(expected + "  -\n300000\n");
        }
    }
}
