package dev.capstan.testkit.fleet.sh;

/** Control flow that unwinds the interpreter: {@code exit}, {@code return}, {@code break}/{@code continue}. */
final class Signals {

    private Signals() {
    }

    /** {@code exit N}, {@code set -e} tripping, or a fatal error: ends the (sub)shell with a status. */
    static final class Exit extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        Exit(int status) {
            super(null, null, false, false);
            this.status = status;
        }
    }

    /** {@code return N} from a function or a sourced file. */
    static final class Return extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        Return(int status) {
            super(null, null, false, false);
            this.status = status;
        }
    }

    /** {@code break N} or {@code continue N}. */
    static final class LoopControl extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final boolean isBreak;
        final int levels;

        LoopControl(boolean isBreak, int levels) {
            super(null, null, false, false);
            this.isBreak = isBreak;
            this.levels = levels;
        }
    }

    /** The command was stopped from outside (channel closed, signal): unwinds everything. */
    static final class Killed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Killed() {
            super("killed", null, false, false);
        }
    }
}
