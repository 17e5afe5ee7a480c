"""The log asks its witnesses to cosign each checkpoint (c2sp.org/tlog-witness).

For each witness configured (RT_WITNESSES: ``<verifier key>@<URL>``, comma-separated),
the worker submits the latest checkpoint with a consistency proof from the size that
witness last cosigned; a 409 tells it that size, and it tries once more from there. A
cosignature is verified with the witness's key before it is added to the stored
checkpoint, which `GET /checkpoint` then serves with it. A witness that refuses (422: it
saw a different history) is logged as an error: that witness now holds evidence.
"""

from __future__ import annotations

import base64
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

import redis

from service.ledger.appends import _text
from service.ledger.checkpoints import Issued
from service.ledger.domain.cosignature import CosignatureVerifier
from service.ledger.domain.note import NoteError, parse
from service.ledger.infrastructure import Infrastructure

log = logging.getLogger("reform_tracker.witnessing")
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class WitnessConfig:
    verifier: CosignatureVerifier
    url: str


def configured(setting: str) -> list[WitnessConfig]:
    """RT_WITNESSES parsed: ``<vkey>@<url>`` items, comma-separated."""
    found = []
    for item in filter(None, (part.strip() for part in setting.split(","))):
        vkey, separator, url = item.partition("@")
        if not separator or not url.startswith(("http://", "https://")):
            raise NoteError(f"a witness is <verifier key>@<URL>, not {item!r}")
        found.append(WitnessConfig(CosignatureVerifier.from_vkey(vkey), url.rstrip("/")))
    return found


def submit_to_witnesses(infrastructure: Infrastructure) -> int:
    """Ask every witness that has not cosigned the latest checkpoint; how many did now."""
    try:
        witnesses = configured(infrastructure.config.witnesses)
    except NoteError as error:
        log.error("RT_WITNESSES is not usable: %s", error)
        return 0
    latest = infrastructure.store.checkpoints.latest() if witnesses else None
    if latest is None:
        return 0
    # A checkpoint over events no replica has yet could be undone by a failover, and the
    # witnesses would then see the next one fork from it: it waits for the replicas.
    try:
        if not infrastructure.store.replicas_have_everything():
            log.warning("checkpoint %d not sent to witnesses: replicas behind", latest.size)
            return 0
    except redis.RedisError as error:
        log.warning("checkpoint %d not sent to witnesses: %s", latest.size, error)
        return 0
    cosigned = 0
    for witness in witnesses:
        if witness.verifier.timestamp(parse(latest.note)) is not None:
            continue
        try:
            cosigned += _submit(infrastructure, witness, latest)
        except (OSError, NoteError) as error:
            log.warning("witness %s unreachable or unusable: %s", witness.verifier.name, error)
    return cosigned


def _size_key(infrastructure: Infrastructure, witness: WitnessConfig) -> str:
    return infrastructure.keys.checkpoints + ":witness:" + witness.verifier.name


def _submit(infrastructure: Infrastructure, witness: WitnessConfig, latest: Issued) -> int:
    redis, key = infrastructure.redis, _size_key(infrastructure, witness)
    if _text(redis.get(key + ":refused")) == str(latest.size):
        return 0  # refused once already: asking again would only repeat the alarm
    old = int(_text(redis.get(key)) or 0)
    for _attempt in range(2):
        status, answer = _post(infrastructure, witness, latest, old)
        if status == 409 and answer.strip().isdigit():
            old = int(answer.strip())  # the witness holds another size: prove from there
            continue
        if status != 200:
            if status == 422:  # the witness saw another history: it holds evidence now
                redis.set(key + ":refused", latest.size)
            level = logging.ERROR if status == 422 else logging.WARNING
            log.log(
                level,
                "witness %s refused checkpoint %d: %s %s",
                witness.verifier.name,
                latest.size,
                status,
                answer.strip(),
            )
            return 0
        note = parse(latest.note + answer)
        if witness.verifier.timestamp(note) is None:
            raise NoteError(f"{witness.verifier.name} answered no cosignature of its key")
        mine = [s for s in note.signatures if s.key_id == witness.verifier.key_id]
        infrastructure.store.checkpoints.add_signatures(latest.size, mine)
        redis.set(key, latest.size)
        return 1
    return 0


def _post(
    infrastructure: Infrastructure, witness: WitnessConfig, latest: Issued, old: int
) -> tuple[int, str]:
    proof: list[bytes] = []
    if 0 < old < latest.size:
        proof = infrastructure.store.tree.consistency(old, latest.size).hashes
    lines = [f"old {old}", *(base64.b64encode(h).decode() for h in proof)]
    body = "\n".join(lines) + "\n\n" + latest.note
    request = urllib.request.Request(
        witness.url + "/add-checkpoint",
        data=body.encode(),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
