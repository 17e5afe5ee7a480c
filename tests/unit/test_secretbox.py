"""The key that seals webhook secrets: created once by `up` (owner-only), read newest
first, and every way of not having a usable key named in the error."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from service.runtime.config import Config
from service.runtime.secretbox import SecretBox, SecretsKeyError, ensure_key_file, new_key


def test_up_creates_an_owner_only_key_file_once(tmp_path: Path) -> None:
    config = Config(data_dir=str(tmp_path / "data"))
    path = ensure_key_file(config)
    assert path == (tmp_path / "data" / "secrets.key").resolve()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text()
    assert ensure_key_file(config) == path and path.read_text() == key  # kept, not replaced
    secret = SecretBox.from_config(config).seal("whsec_abc")
    assert SecretBox.from_config(config).open(secret, "it") == "whsec_abc"


def test_a_configured_key_or_key_file_is_used_and_no_file_is_made(tmp_path: Path) -> None:
    assert ensure_key_file(Config(data_dir=str(tmp_path), secrets_key=new_key())) is None
    assert not (tmp_path / "secrets.key").exists()
    elsewhere = tmp_path / "keys" / "webhooks.key"
    assert ensure_key_file(Config(secrets_key_file=str(elsewhere))) == elsewhere.resolve()


def test_sealed_text_does_not_contain_the_secret() -> None:
    box = SecretBox([new_key()], "RT_SECRETS_KEY")
    sealed = box.seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" not in sealed
    assert box.open(sealed, "it") == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_key_rotation_new_key_first_old_keys_still_open() -> None:
    old, new = new_key(), new_key()
    sealed_old = SecretBox([old], "old").seal("whsec_x")
    both = SecretBox([new, old], "both")
    assert both.open(sealed_old, "it") == "whsec_x"
    resealed = both.reseal(sealed_old, "it")
    assert resealed != sealed_old
    assert both.reseal(resealed, "it") == resealed  # already under the newest key
    assert SecretBox([new], "new").open(resealed, "it") == "whsec_x"


@pytest.mark.parametrize(
    ("settings", "file_text", "message"),
    [
        ({}, None, "does not exist; set RT_SECRETS_KEY_FILE or RT_SECRETS_KEY"),
        ({}, "# only a comment\n", "holds no key"),
        ({}, "not-a-key\n", "is not a Fernet key"),
        ({"secrets_key": "short"}, None, "RT_SECRETS_KEY holds something that is not"),
    ],
)
def test_no_usable_key_is_a_clear_error(
    tmp_path: Path, settings: dict[str, str], file_text: str | None, message: str
) -> None:
    if file_text is not None:
        (tmp_path / "secrets.key").write_text(file_text)
    with pytest.raises(SecretsKeyError, match=message):
        SecretBox.from_config(Config(data_dir=str(tmp_path), **settings))


def test_a_secret_sealed_with_another_key_names_what_cannot_be_opened() -> None:
    sealed = SecretBox([new_key()], "A").seal("whsec_x")
    with pytest.raises(SecretsKeyError, match="cannot open the secret of s1: none of the keys"):
        SecretBox([new_key()], "B").open(sealed, "the secret of s1")
