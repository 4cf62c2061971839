#!/usr/bin/env python3
"""Baseline: the tutorials' system for UDP, socketserver.UDPServer echo (one thread).

Usage: python3 py-udp-echo.py PORT [HOST]   (prints "listening PORT" when ready)
"""
import signal
import socketserver
import sys


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with socketserver.UDPServer((host, port), EchoHandler) as server:
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()
