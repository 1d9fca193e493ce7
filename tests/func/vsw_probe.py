#!/usr/bin/env python3
"""Asks the network what a guarded switch port lets through, the way a
client would: `dhcp IFACE SECONDS` broadcasts a DHCPDISCOVER (RFC 2131) and
waits for a server's answer; `ra IFACE SECONDS` sends a router
solicitation (RFC 4861) and waits for a router advertisement. Exit 0 when
an answer came, 1 when none did in time, 2 on a local error."""
import os
import select
import socket
import struct
import sys
import time


def mac_of(iface):
    with open(f"/sys/class/net/{iface}/address") as f:
        return bytes.fromhex(f.read().strip().replace(":", ""))


def dhcp(iface, timeout):
    xid = int.from_bytes(os.urandom(4), "big")
    pkt = struct.pack("!BBBBIHH4s4s4s4s16s64s128s4s", 1, 1, 6, 0, xid, 0, 0x8000,
                      b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                      mac_of(iface).ljust(16, b"\0"), b"", b"", b"\x63\x82\x53\x63")
    pkt += bytes([53, 1, 1, 255])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.bind(("0.0.0.0", 68))
    end = time.time() + timeout
    while time.time() < end:
        s.sendto(pkt, ("255.255.255.255", 67))
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            data, src = s.recvfrom(2048)
            # A BOOTREPLY for our transaction is a server's answer.
            if len(data) >= 8 and data[0] == 2 and struct.unpack("!I", data[4:8])[0] == xid:
                print(f"DHCP answer from {src[0]}")
                return 0
    return 1


def ra(iface, timeout):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    rs = bytes([133, 0, 0, 0, 0, 0, 0, 0])   # the kernel fills the checksum
    idx = socket.if_nametoindex(iface)
    end = time.time() + timeout
    while time.time() < end:
        s.sendto(rs, ("ff02::2", 0, 0, idx))
        r, _, _ = select.select([s], [], [], 1.0)
        if r:
            data, src = s.recvfrom(2048)
            if data and data[0] == 134:
                print(f"router advertisement from {src[0]}")
                return 0
    return 1


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("dhcp", "ra"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return (dhcp if sys.argv[1] == "dhcp" else ra)(sys.argv[2], float(sys.argv[3]))
    except OSError as e:
        print(f"vsw_probe: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
