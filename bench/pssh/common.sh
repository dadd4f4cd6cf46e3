# Sourced by the parallel-ssh scenario scripts. Needs BENCH_HOSTS (user@host:port per line),
# BENCH_KNOWN_HOSTS and BENCH_IDENTITY; host keys are checked, no agent, no ~/.ssh/config.
set -euo pipefail
: "${BENCH_HOSTS:?}" "${BENCH_KNOWN_HOSTS:?}" "${BENCH_IDENTITY:?}"
PSSH=${PSSH:-parallel-ssh}
PSCP=${PSCP:-parallel-scp}
SSH_OPTS="-F /dev/null -i $BENCH_IDENTITY -o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile=$BENCH_KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o LogLevel=ERROR"
# -p: all hosts at once (pssh's default is 32); -t 0: no per-host timeout
pssh_all() { "$PSSH" -h "$BENCH_HOSTS" -p "${BENCH_PSSH_PAR:-1024}" -t 0 -x "$SSH_OPTS" "$@"; }
