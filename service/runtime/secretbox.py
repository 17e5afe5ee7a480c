"""Secrets sealed at rest: Fernet under keys kept outside Redis, so that whoever can read
Redis (or its AOF, or a copy of either) cannot use what is stored there.

The keys come from RT_SECRETS_KEY (comma-separated) or from a file (RT_SECRETS_KEY_FILE,
else ``<data dir>/secrets.key``; one key per line), newest first. Sealing always uses
the newest key; opening tries every key (cryptography's MultiFernet), so the key can be
rotated: put a new key first, reseal what is stored, then drop the old key. The keys are
read at every use, never cached, so a rotated file takes effect without a restart.

Only ``reform-tracker up`` creates a key (``ensure_key_file``, mode 0600): replicas of a
real deployment must share one key, so they refuse to invent their own.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from service.runtime.config import Config

KEY_FILE = "secrets.key"  # inside the data folder, unless RT_SECRETS_KEY_FILE says otherwise


class SecretsKeyError(Exception):
    """No usable key: none configured, not a Fernet key, or not the key a secret was
    sealed with. The message says which setting to fix."""


def key_file(config: Config) -> Path:
    return Path(config.secrets_key_file or Path(config.data_dir) / KEY_FILE)


def new_key() -> str:
    return Fernet.generate_key().decode()


def create_private_file(path: Path, text: str) -> bool:
    """Write ``text`` to a new file only its owner can read (mode 0600); False, and the
    file untouched, when it exists. O_EXCL: two starts at once cannot each write a
    different key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    return True


def ensure_key_file(config: Config) -> Path | None:
    """The key file ``up`` uses, created (mode 0600) if it does not exist yet; None when
    the keys come from RT_SECRETS_KEY instead."""
    if config.secrets_key:
        return None
    path = key_file(config).resolve()
    create_private_file(path, new_key() + "\n")
    return path


def _configured_keys(config: Config) -> tuple[list[str], str]:
    if config.secrets_key:
        return [k.strip() for k in config.secrets_key.split(",") if k.strip()], "RT_SECRETS_KEY"
    path = key_file(config)
    where = f"the key file {path} (RT_SECRETS_KEY_FILE)"
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SecretsKeyError(
            f"no key to seal webhook secrets: {where} does not exist; set RT_SECRETS_KEY_FILE "
            "or RT_SECRETS_KEY (`reform-tracker up` creates the file in its data folder)"
        ) from None
    except OSError as error:
        raise SecretsKeyError(f"cannot read {where}: {error.strerror}") from None
    lines = [line.strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith("#")], where


class SecretBox:
    """Seals and opens secrets with the configured keys, newest first."""

    def __init__(self, keys: list[str], where: str) -> None:
        if not keys:
            raise SecretsKeyError(f"{where} holds no key")
        try:
            self.newest = Fernet(keys[0])
            self.fernet = MultiFernet([self.newest, *(Fernet(key) for key in keys[1:])])
        except (ValueError, TypeError):
            raise SecretsKeyError(
                f"{where} holds something that is not a Fernet key "
                "(32 url-safe base64-encoded bytes, one per line)"
            ) from None
        self.where = where

    @classmethod
    def from_config(cls, config: Config) -> SecretBox:
        return cls(*_configured_keys(config))

    def seal(self, secret: str) -> str:
        return self.fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str, what: str) -> str:
        try:
            return self.fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretsKeyError(self._wrong_key(what)) from None

    def reseal(self, sealed: str, what: str) -> str:
        """The same secret sealed with the newest key (for key rotation); unchanged if
        the newest key sealed it already."""
        try:
            self.newest.decrypt(sealed.encode())
            return sealed
        except InvalidToken:
            pass
        try:
            return self.fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            raise SecretsKeyError(self._wrong_key(what)) from None

    def _wrong_key(self, what: str) -> str:
        return (
            f"cannot open {what}: none of the keys in {self.where} sealed it (was the key "
            "replaced without keeping the old one after it?)"
        )
