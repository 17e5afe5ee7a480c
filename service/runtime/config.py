"""The one configuration object, read from the environment (RT_* variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Config:
    # Where the event log lives. Empty means "start an embedded Redis" (CLI `up` only).
    redis_url: str = ""
    # Redis Sentinels to ask for the primary ("host:port,host:port"), and the name they
    # monitor it under; when set they replace RT_REDIS_URL's host and port (its password
    # and database still apply). See docs/operations.md.
    redis_sentinels: str = ""
    redis_service: str = ""
    # RT_REDIS_URL names a node of a Redis Cluster: talk to the cluster through it. Every
    # key of a deployment shares one hash tag, so a deployment lives in one slot.
    redis_cluster: bool = False
    # A plain Redis (URL) for RQ's queues, jobs and worker registry, apart from the event
    # log; empty: the log's Redis. Needed with RT_REDIS_CLUSTER, where RQ cannot run; one
    # per deployment (or a database of its own). See docs/operations.md.
    queue_redis_url: str = ""
    # Replicas that must confirm an append (Redis WAIT) before it is acknowledged; -1: one
    # when the primary has or expects replicas, none on a lone server. And how long to wait
    # for them (milliseconds) before answering 503.
    min_replicas_ack: int = -1
    replica_ack_timeout_ms: int = 1000
    # Prefix inside the Redis hash tag; lets several deployments (or tests) share a server.
    key_prefix: str = "rt"
    # Only for tests/dev: serve even if Redis could lose acknowledged writes.
    allow_unsafe_redis: bool = False
    # Folder for the embedded Redis (AOF files) when redis_url is empty.
    data_dir: str = "./data"
    # Address and port the API listens on under `reform-tracker up`.
    host: str = "127.0.0.1"
    port: int = 8080
    # Largest request body accepted (bytes); larger ones are refused with 413.
    max_body_bytes: int = 64 * 1024
    # Largest bulk report accepted by POST /imports and the upload page (bytes; 413 above),
    # and the most rows one report may hold.
    import_max_bytes: int = 8 * 1024 * 1024
    import_max_rows: int = 10_000
    # Seconds a client has to send a request's line and headers (or it is disconnected),
    # and again its body (or it gets 408).
    body_timeout_seconds: float = 10.0
    # Largest page a client may ask for with ?limit= (events, alerts; deliveries stop at 200).
    page_size_max: int = 500
    # How long an Idempotency-Key is remembered (seconds).
    idempotency_ttl_seconds: int = 7 * 24 * 3600
    # Dashboards and HTML pages readable without a token: the public portal (docs/public.md).
    public_read: bool = False
    # Public address of the API, used in links sent out in alerts.
    base_url: str = "http://127.0.0.1:8080"
    # Level of the JSON logs that every process (API, gunicorn, worker, scheduler, up) writes.
    log_level: str = "INFO"
    # Dashboard colour rules (days); see docs/dashboards.md.
    red_overdue_days: int = 30
    amber_due_within_days: int = 14
    amber_stale_days: int = 30
    # Rows a dashboard summary lists (at least 1): its most overdue and soonest due
    # milestones and its first RAG reasons; the counts cover every one (docs/dashboards.md).
    summary_rows: int = 10
    # Alert lead times (days before due) and escalation delay (hours).
    alert_lead_days: tuple[int, ...] = (14, 3)
    alert_escalate_after_hours: int = 48
    # Webhook targets on loopback/private/link-local addresses are refused unless allowed.
    webhook_allow_private: bool = False
    # Seconds to wait for a webhook receiver to answer.
    webhook_timeout_seconds: float = 10.0
    # After a webhook secret is rotated, seconds the old one still signs beside the new one.
    webhook_secret_grace_seconds: int = 24 * 3600
    # Fernet keys sealing webhook secrets in Redis, newest first, comma-separated (see
    # docs/alerts.md); when empty, the keys are read from RT_SECRETS_KEY_FILE.
    secrets_key: str = ""
    # File of those keys, one per line, newest first. Empty: <RT_DATA_DIR>/secrets.key,
    # which `reform-tracker up` creates (mode 0600) if it does not exist.
    secrets_key_file: str = ""
    # Seconds between delivery attempts (webhook and e-mail); one retry per entry.
    delivery_retry_intervals: tuple[int, ...] = (10, 60, 300, 1800, 7200)
    # SMTP server and sender for e-mail alerts.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_tls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "reform-tracker@localhost"
    # Requests allowed per token across all routes, and per client address for requests
    # without a valid token (e.g. "600/minute"; see docs/access.md); empty: no limit.
    rate_limit: str = "600/minute"
    # Signed checkpoints: the log's origin line and key name (empty: RT_BASE_URL's host
    # and path), and the Ed25519 key file (empty: <data dir>/log-signing.key).
    log_origin: str = ""
    log_key_file: str = ""
    # A checkpoint is signed once the tree is this many events ahead of the last one, or
    # this many seconds after the last one; see docs/audit.md.
    checkpoint_every_events: int = 1000
    checkpoint_interval_seconds: int = 10
    # Witnesses asked to cosign each checkpoint: "<verifier key>@<URL>", comma-separated.
    witnesses: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.summary_rows < 1:
            raise ValueError(f"RT_SUMMARY_ROWS must be at least 1, not {self.summary_rows}")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Config:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
                continue
            raw = env.get("RT_" + f.name.upper())
            if f.name == "redis_url" and raw is None:
                raw = env.get("REDIS_URL")
            if raw is None:
                continue
            default = getattr(cls, f.name, None)
            if isinstance(default, bool):
                values[f.name] = _flag(raw)
            elif isinstance(default, int):
                values[f.name] = int(raw)
            elif isinstance(default, float):
                values[f.name] = float(raw)
            elif isinstance(default, tuple):
                values[f.name] = tuple(int(part) for part in raw.split(",") if part.strip())
            else:
                values[f.name] = raw
        values.update(overrides)
        return cls(**values)

    @property
    def has_redis(self) -> bool:
        """Whether a Redis is named (a URL or Sentinels), rather than left to `up` to start."""
        return bool(self.redis_url or self.redis_sentinels)

    @property
    def has_queues(self) -> bool:
        """Whether RQ has a Redis for its queues: RT_QUEUE_REDIS_URL's, or the log's unless
        the log is on a cluster."""
        return bool(self.queue_redis_url) or not self.redis_cluster

    def with_(self, **changes: Any) -> Config:
        return replace(self, **changes)

    @property
    def queue_redis(self) -> Config:
        """These settings with RT_QUEUE_REDIS_URL as the one Redis, reached as a plain
        server; RT_MIN_REPLICAS_ACK is the log's, so its default applies here."""
        return replace(
            self,
            redis_url=self.queue_redis_url,
            redis_sentinels="",
            redis_service="",
            redis_cluster=False,
            min_replicas_ack=Config.min_replicas_ack,
        )

    @property
    def origin(self) -> str:
        """The checkpoint origin: a schema-less URL naming this log."""
        if self.log_origin:
            return self.log_origin
        host_and_path = self.base_url.split("://", 1)[-1].rstrip("/")
        return f"{host_and_path}/log"

    @property
    def signing_key_path(self) -> str:
        return self.log_key_file or os.path.join(self.data_dir, "log-signing.key")
