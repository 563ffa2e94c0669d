"""A tiny uwsgi-protocol backend for the nginx scenario: answers every request with its port.

Usage: python3 uwsgi-backend.py PORT. nginx's uwsgi_pass sends a uwsgi packet (4-byte
header, then the request's variables, then the body); the answer is plain HTTP,
`backend PORT`, so the tests can count which upstream server answered.
"""

from __future__ import annotations

import socketserver
import struct
import sys


class Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        header = self.read(4)
        if len(header) < 4:
            return
        _, size, _ = struct.unpack("<BHB", header)
        variables = self.read(size)
        length = parse(variables).get("CONTENT_LENGTH", "") or "0"
        self.read(int(length))
        body = f"backend {self.server.server_address[1]}".encode()
        self.request.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    def read(self, size: int) -> bytes:
        data = b""
        while len(data) < size and (chunk := self.request.recv(size - len(data))):
            data += chunk
        return data


def parse(packet: bytes) -> dict[str, str]:
    variables, offset = {}, 0
    while offset + 2 <= len(packet):
        (key_size,) = struct.unpack_from("<H", packet, offset)
        key = packet[offset + 2 : offset + 2 + key_size].decode()
        offset += 2 + key_size
        (value_size,) = struct.unpack_from("<H", packet, offset)
        variables[key] = packet[offset + 2 : offset + 2 + value_size].decode()
        offset += 2 + value_size
    return variables


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server(("127.0.0.1", int(sys.argv[1])), Handler) as server:
        server.serve_forever()
