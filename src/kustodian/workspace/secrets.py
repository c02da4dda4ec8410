"""Encryption of connector secrets at rest (Fernet: AES-128-CBC with HMAC-SHA256).

The key is `secret.key` in the workspace directory (mode 0600), or KUSTODIAN_SECRET_KEY, which
takes precedence so that the key can live apart from the data. An in-memory workspace keeps a key
for its lifetime only.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken

if TYPE_CHECKING:
    from kustodian.workspace.workspace import Workspace

KEY_FILE = "secret.key"
_memory_keys: dict[int, bytes] = {}


class SecretError(Exception):
    pass


def _key(ws: Workspace) -> bytes:
    env = os.environ.get("KUSTODIAN_SECRET_KEY")
    if env:
        return env.encode()
    root = ws.root
    if root is None:
        return _memory_keys.setdefault(id(ws), Fernet.generate_key())
    path = root / KEY_FILE
    if not path.exists():
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        return key
    return path.read_bytes().strip()


def encrypt(ws: Workspace, value: str) -> bytes:
    return Fernet(_key(ws)).encrypt(value.encode())


def decrypt(ws: Workspace, token: bytes) -> str:
    try:
        return Fernet(_key(ws)).decrypt(token).decode()
    except InvalidToken:
        raise SecretError(
            "a stored secret cannot be decrypted: the workspace key (secret.key or "
            "KUSTODIAN_SECRET_KEY) is not the one it was stored with; store the secret again"
        ) from None
