"""A TCP proxy on loopback that can go silent: the frozen peer of the network-fault tests.

`FreezableProxy(port)` forwards every connection made to `proxy.port` to `127.0.0.1:port`. Once frozen
(by `freeze()`, or by itself when the client sends bytes containing `freeze_on`), it stops reading and
writing in both directions, and connections made afterwards are accepted and never forwarded; every socket
stays open. To the client and to the server this looks like a peer that hung or a network that stopped
delivering, not like a closed connection: nothing is sent, not even a FIN. The kernel still acknowledges
what it receives, so TCP keepalives are answered. With `freeze_new=False` only the connections open at the
moment of the freeze go silent (a dropped NAT entry); later ones are forwarded.

    with FreezableProxy(pg.port, freeze_on=b'"t_020"') as proxy:
        url = proxy.url(pg_url)
"""

from __future__ import annotations

import selectors
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

HOST = "127.0.0.1"


class FreezableProxy:
    def __init__(self, upstream_port: int, *, freeze_on: bytes | None = None, freeze_new: bool = True) -> None:
        self.upstream_port = upstream_port
        self.freeze_on = freeze_on
        self.freeze_new = freeze_new
        self.frozen = threading.Event()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server((HOST, 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FreezableProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, url: str) -> str:
        """`url` with the proxy's port in place of the server's."""
        parts = urlsplit(url)
        userinfo, _, _ = parts.netloc.rpartition("@")
        return urlunsplit(parts._replace(netloc=f"{userinfo}@{HOST}:{self.port}"))

    def freeze(self) -> None:
        self.frozen.set()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in [self._listener, *sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._keep(client)
            if self.frozen.is_set() and self.freeze_new:
                continue  # accepted, never answered
            try:
                upstream = socket.create_connection((HOST, self.upstream_port))
            except OSError:
                client.close()
                continue
            self._keep(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        """Both directions of one connection; the client's bytes are searched for `freeze_on`."""
        peer = {client: upstream, upstream: client}
        tail = b""
        # A connection made after the freeze, when only those before it were frozen, is never frozen.
        frozen = threading.Event() if self.frozen.is_set() else self.frozen
        with selectors.DefaultSelector() as selector:
            for sock in peer:
                selector.register(sock, selectors.EVENT_READ)
            while not self._closed.is_set():
                if frozen.is_set():
                    self._closed.wait()  # silent: read nothing, write nothing, close nothing
                    return
                for key, _ in selector.select(timeout=0.05):
                    sock = key.fileobj
                    try:
                        data = sock.recv(65536)  # type: ignore[union-attr]
                    except OSError:
                        data = b""
                    if not data:  # one side closed (before any freeze): so does the other
                        client.close()
                        upstream.close()
                        return
                    if sock is client and self.freeze_on and frozen is self.frozen:
                        seen = tail + data
                        tail = seen[-len(self.freeze_on):]
                        if self.freeze_on in seen:
                            self.freeze()  # this chunk is never delivered
                    if frozen.is_set():
                        break
                    try:
                        peer[sock].sendall(data)  # type: ignore[index]
                    except OSError:
                        return
