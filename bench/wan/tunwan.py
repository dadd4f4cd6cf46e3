#!/usr/bin/env python3
"""bench/wan/tunwan.py — a wide-area link in software, for the `wan` benchmark target (root, Linux).

    tunwan.py [--delay 25ms] [--servers 8]

Makes two network namespaces joined by a point-to-point link of two TUN devices, and holds every IP packet
that crosses it back for DELAY in each direction: data, TCP handshakes and acknowledgements alike, as a real
link does. (The TCP delay proxy only delays the bytes it relays: TCP connects and ACKs stay local, so it cannot
show what Nagle's algorithm and delayed ACKs cost over a distance.)

    capstan-wan-c   the clients' side: 10.77.0.1
    capstan-wan-s   the servers' side: 10.77.0.11 .. 10.77.0.(10 + SERVERS)

Prints READY once the link is up; on SIGTERM or SIGINT removes both namespaces (and with them the devices).
The addresses exist only inside these two namespaces."""
import argparse, fcntl, heapq, os, select, signal, struct, subprocess, sys, time

CLIENT_NS, SERVER_NS = "capstan-wan-c", "capstan-wan-s"
CLIENT_DEV, SERVER_DEV = "capwan-c0", "capwan-s0"
CLIENT_ADDR = "10.77.0.1"
TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000


def run(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def in_ns(ns, *argv):
    run("ip", "netns", "exec", ns, *argv)


def remove_namespaces():
    for ns in (CLIENT_NS, SERVER_NS):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def parse_delay(text):
    for unit, scale in (("ms", 1e-3), ("us", 1e-6), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    return float(text) * 1e-3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--delay", default="25ms", help="one-way delay (default 25ms)")
    ap.add_argument("--servers", type=int, default=8, help="server addresses 10.77.0.11.. (default 8)")
    args = ap.parse_args()
    delay = parse_delay(args.delay)
    servers = [f"10.77.0.{11 + i}" for i in range(args.servers)]

    remove_namespaces()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        for ns in (CLIENT_NS, SERVER_NS):
            run("ip", "netns", "add", ns)
            in_ns(ns, "ip", "link", "set", "lo", "up")
        # Opened here, then moved: the open descriptors keep working in the namespaces.
        client, server = open_tun(CLIENT_DEV), open_tun(SERVER_DEV)
        run("ip", "link", "set", CLIENT_DEV, "netns", CLIENT_NS)
        run("ip", "link", "set", SERVER_DEV, "netns", SERVER_NS)
        in_ns(CLIENT_NS, "ip", "addr", "add", CLIENT_ADDR + "/32", "dev", CLIENT_DEV)
        in_ns(CLIENT_NS, "ip", "link", "set", CLIENT_DEV, "up")
        for addr in servers:
            in_ns(CLIENT_NS, "ip", "route", "add", addr + "/32", "dev", CLIENT_DEV)
            in_ns(SERVER_NS, "ip", "addr", "add", addr + "/32", "dev", SERVER_DEV)
        in_ns(SERVER_NS, "ip", "link", "set", SERVER_DEV, "up")
        in_ns(SERVER_NS, "ip", "route", "add", CLIENT_ADDR + "/32", "dev", SERVER_DEV)
        print(f"READY delay={delay * 1000:g}ms client={CLIENT_ADDR} servers={servers[0]}..{servers[-1]}", flush=True)
        forward(client, server, delay)
    finally:
        remove_namespaces()


def forward(client, server, delay):
    """Every packet read from one device is written to the other DELAY later, in order of arrival."""
    other = {client: server, server: client}
    due = []  # (time, sequence, device to write to, packet)
    sequence = 0
    while True:
        timeout = max(0.0, due[0][0] - time.monotonic()) if due else None
        readable, _, _ = select.select([client, server], [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            while True:
                try:
                    packet = os.read(fd, 65535)
                except BlockingIOError:
                    break
                sequence += 1
                heapq.heappush(due, (now + delay, sequence, other[fd], packet))
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, fd, packet = heapq.heappop(due)
            try:
                os.write(fd, packet)
            except OSError:
                pass  # a device going away at the end


if __name__ == "__main__":
    main()
