package dev.capstan.cli.output;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.transport.Stream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The output of {@code --grouped}: each command's lines are kept per host until the command ended on
 * every host, then hosts with identical output are reported once, under their compressed host list
 * ({@code web[1-4]}), like {@code dshbak -c}. Not thread-safe: the console calls it under its lock.
 */
final class GroupedOutput {

    /** One line of output as it appeared. */
    record Line(Stream stream, String text) { }

    /** Hosts whose output was identical, and that output. */
    record Group(String hosts, List<Line> lines) { }

    private final HostListCompressor hostLists;
    private final Map<Long, Map<String, List<Line>>> buffered = new HashMap<>();

    GroupedOutput(HostListCompressor hostLists) {
        this.hostLists = hostLists;
    }

    /** Keeps one line, as plain text, so that lines differing only in escape codes group together. */
    void add(Event.OutputLine line) {
        buffered.computeIfAbsent(line.id(), id -> new LinkedHashMap<>())
                .computeIfAbsent(line.server().label(), host -> new ArrayList<>())
                .add(new Line(line.stream(), Ansi.plain(line.line())));
    }

    /**
     * The groups of command {@code id}, ordered by their first host in {@code servers}; forgets them.
     * Hosts without output form no group.
     */
    List<Group> drain(long id, List<Server> servers) {
        Map<String, List<Line>> byHost = buffered.remove(id);
        if (byHost == null) {
            return List.of();
        }
        Map<List<Line>, List<String>> hostsByOutput = new LinkedHashMap<>();
        for (Server server : servers) {
            List<Line> lines = byHost.remove(server.label());
            if (lines != null) {
                hostsByOutput.computeIfAbsent(lines, l -> new ArrayList<>()).add(server.label());
            }
        }
        // output from a host the command did not name (should not happen) is still shown
        byHost.forEach((host, lines) -> hostsByOutput.computeIfAbsent(lines, l -> new ArrayList<>()).add(host));
        List<Group> groups = new ArrayList<>();
        hostsByOutput.forEach((lines, hosts) -> groups.add(new Group(hostLists.join(hosts), lines)));
        return groups;
    }
}
