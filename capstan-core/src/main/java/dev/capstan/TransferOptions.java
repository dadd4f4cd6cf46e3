package dev.capstan;

/** Options of an upload: {@code ctx.upload("app.jar", "/srv/app/app.jar", o -> o.mode(0644))}. */
public interface TransferOptions {

    /** The remote file mode, as an octal literal such as {@code 0755}. */
    TransferOptions mode(int mode);

    /** Transfer to these servers instead of the task's targets. */
    TransferOptions hosts(String... hosts);

    /** Transfer to the servers with these roles instead of the task's targets. */
    TransferOptions roles(String... roles);

    /** Transfer to the first target server only. */
    TransferOptions once();
}
