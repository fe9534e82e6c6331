"""Relay one guest TCP connection (QEMU guestfwd cmd:, on stdin/stdout) to 127.0.0.1:PORT."""

from __future__ import annotations

import os
import selectors
import socket
import sys


def main(port: int) -> int:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.settimeout(None)
    sel = selectors.DefaultSelector()
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    sel.register(stdin, selectors.EVENT_READ)
    sel.register(sock, selectors.EVENT_READ)
    open_ends = 2
    while open_ends:
        for key, _ in sel.select(120):
            if key.fileobj == stdin:
                data = os.read(stdin, 65536)
                if data:
                    sock.sendall(data)
                else:
                    sel.unregister(stdin)
                    sock.shutdown(socket.SHUT_WR)
                    open_ends -= 1
            else:
                data = sock.recv(65536)
                if data:
                    os.write(stdout, data)
                else:
                    sel.unregister(sock)
                    open_ends -= 1
                    return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
