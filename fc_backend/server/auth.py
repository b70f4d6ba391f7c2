"""CurveZMQ keys: make them, load them, and put them on sockets; and this user's own keys.

Local means the user's own: with no --curve-keys, a backend on loopback (or ipc) and every client
and worker that talks to it use a key set made automatically in the user's private runtime folder
(private.py), so the same user's bridge, REAPER actions and `--server tcp://127.0.0.1:PORT` work with
no flags while another local user, who cannot read that folder, cannot even complete a handshake.
`--insecure` is the one way to open that door.

A key folder holds the server's pair (``server.key``, ``server.key_secret``), one pair each for a
client and a worker, and the public keys the server lets in: ``clients/*.key`` for the client port,
``workers/*.key`` for the worker port. Clients and workers are separate lists so a bridge's key
cannot register a machine that would receive other people's videos.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from ..errors import InputError
from .private import private_dir, runtime_dir
from .protocol import is_local_endpoint

ROLES = ("client", "worker")
HINT = "create a key folder with: filmcomposer serve --make-keys DIR"


def make_keys(folder: str | Path) -> dict[str, Path]:
    """Create the server, client and worker key pairs in `folder` and allow the client and worker."""
    folder = Path(folder)
    if (folder / "server.key_secret").exists():
        raise InputError(folder, "already holds server keys; refusing to overwrite them")
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for name in ("server", *ROLES):
        public, secret = zmq.auth.create_certificates(str(folder), name)
        Path(secret).chmod(0o600)
        made[name] = Path(public)
    for role in ROLES:
        allowed = folder / f"{role}s"
        allowed.mkdir(exist_ok=True, mode=0o700)
        shutil.copy2(made[role], allowed / f"{role}.key")
    return made


def _load(path: Path, *, secret: bool) -> tuple[bytes, bytes | None]:
    if not path.is_file():
        raise InputError(path, f"missing; {HINT}")
    try:
        public, private = zmq.auth.load_certificate(str(path))
    except (ValueError, OSError) as err:
        raise InputError(path, f"not a CurveZMQ key file ({err})") from None
    if secret and private is None:
        raise InputError(path, "holds no secret key")
    return public, private


def start_authenticator(context: zmq.Context, folder: str | Path) -> ThreadAuthenticator:
    """A ZAP handler that admits the keys in clients/ to the client port and workers/ to the worker port."""
    folder = Path(folder)
    for role in ROLES:
        if not (folder / f"{role}s").is_dir():
            raise InputError(folder / f"{role}s", f"missing folder of allowed {role} keys; {HINT}")
    auth = ThreadAuthenticator(context)
    auth.start()
    for role in ROLES:
        auth.configure_curve(domain=f"{role}s", location=str(folder / f"{role}s"))
    return auth


def secure_server(socket: zmq.Socket, folder: str | Path, role: str) -> None:
    """Make `socket` a CURVE server that admits only the allowed keys of `role` (client or worker)."""
    public, secret = _load(Path(folder) / "server.key_secret", secret=True)
    socket.zap_domain = f"{role}s".encode()
    socket.curve_publickey = public
    socket.curve_secretkey = secret
    socket.curve_server = True


def secure_client(socket: zmq.Socket, folder: str | Path, role: str) -> None:
    """Make `socket` a CURVE client with `role`'s key pair, trusting only the server's public key."""
    folder = Path(folder)
    server_public, _ = _load(folder / "server.key", secret=False)
    public, secret = _load(folder / f"{role}.key_secret", secret=True)
    socket.curve_serverkey = server_public
    socket.curve_publickey = public
    socket.curve_secretkey = secret


def user_keys() -> Path:
    """This user's key folder in the runtime folder, made (atomically, once) on first use."""
    folder = runtime_dir() / "keys"
    if not folder.exists() and not folder.is_symlink():
        fresh = Path(tempfile.mkdtemp(prefix=".keys-", dir=folder.parent))
        try:
            make_keys(fresh)
            os.rename(fresh, folder)  # two first uses at once: one rename wins, the other's keys go
        except OSError:
            pass
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
    private_dir(folder)
    for sub in ROLES:
        private_dir(folder / f"{sub}s")
    return folder


def keys_for(endpoint: str, curve_keys: str | Path | None, *, insecure: bool = False) -> Path | None:
    """The key folder a client or worker uses for `endpoint`: the one given; none when the server was
    opened with --insecure; this user's own for a loopback or ipc server; else none (plain TCP)."""
    if curve_keys:
        return Path(curve_keys)
    if insecure or not is_local_endpoint(endpoint):
        return None
    return user_keys()
