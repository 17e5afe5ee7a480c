"""A TCP proxy in front of redis-server that loses the replies to appends.

While ``dropping`` is set, every command still reaches Redis, but when Redis answers a
script call (EVALSHA) with an array, as it answers an append it committed or found
already committed, the proxy cuts the connection instead of passing the reply on: the
client sent an append that was committed and never hears so.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class ReplyDropper:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.dropping = threading.Event()
        self.dropped = 0
        self._lock = threading.Lock()

    def start(self) -> ReplyDropper:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            script_sent = threading.Event()
            threading.Thread(
                target=self._commands, args=(downstream, upstream, script_sent), daemon=True
            ).start()
            threading.Thread(
                target=self._replies, args=(upstream, downstream, script_sent), daemon=True
            ).start()

    def _commands(
        self, downstream: socket.socket, upstream: socket.socket, script_sent: threading.Event
    ) -> None:
        # redis-py waits for each reply before it sends the next command, so the flag
        # always describes the command the next reply answers. A command may arrive in
        # several pieces: only the start of a new one ("*<count>") can clear the flag.
        while data := _receive(downstream):
            if b"EVALSHA" in data.upper():
                script_sent.set()
            elif data.startswith(b"*"):
                script_sent.clear()
            upstream.sendall(data)
        _close(upstream, downstream)

    def _replies(
        self, upstream: socket.socket, downstream: socket.socket, script_sent: threading.Event
    ) -> None:
        while data := _receive(upstream):
            if self.dropping.is_set() and script_sent.is_set() and data.startswith(b"*"):
                with self._lock:
                    self.dropped += 1
                break
            try:
                downstream.sendall(data)
            except OSError:
                break
        _close(upstream, downstream)


def _receive(connection: socket.socket) -> bytes:
    try:
        return connection.recv(65536)
    except OSError:
        return b""


def _close(*connections: socket.socket) -> None:
    for connection in connections:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        connection.close()
