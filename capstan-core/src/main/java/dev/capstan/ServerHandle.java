package dev.capstan;

/** A declared server, for adding roles and properties: {@code cap.server("web2:2222", "web").set("primary", true)}. */
public interface ServerHandle {

    /** Sets a property of this server, e.g. {@code primary}, {@code no_release}, {@code local}. */
    ServerHandle set(String property, Object value);

    /** Adds roles to this server. */
    ServerHandle roles(String... roles);
}
