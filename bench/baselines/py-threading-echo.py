#!/usr/bin/env python3
"""Baseline: the tutorials' system, socketserver.ThreadingTCPServer echo (a thread per client).

Usage: python3 py-threading-echo.py PORT [HOST]   (prints "listening PORT" when ready)
"""
import socketserver
import sys


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        while True:
            data = sock.recv(65536)
            if not data:
                return
            sock.sendall(data)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 511


port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
with Server((host, port), EchoHandler) as server:
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()
