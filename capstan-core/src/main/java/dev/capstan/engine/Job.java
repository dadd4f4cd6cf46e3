package dev.capstan.engine;

import dev.capstan.Server;
import dev.capstan.transport.Command;

/** One command for one server: the unit every fan-out runs. */
record Job(Server server, Command command) {
}
