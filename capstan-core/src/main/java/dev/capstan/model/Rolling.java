package dev.capstan.model;

import java.time.Duration;

/**
 * Rolling execution of a task body: group after group of target servers.
 *
 * @param groupSize servers per group (1 for {@code inSequence})
 * @param pause     pause between two groups
 */
public record Rolling(int groupSize, Duration pause) {
}
