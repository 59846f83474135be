"""Settings from environment variables (prefix ``YUZHI_``).

``YUZHI_DATABASE_URL`` switches from the embedded SQLite file to PostgreSQL with no other change.
Outside development a default secret key is refused, so a production deployment cannot run with
a key that is printed in this file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

_DEV_SECRET = "dev-only-secret-change-me"


def default_home() -> Path:
    """Where the embedded database and the artifact store live unless configured."""
    return Path.cwd() / "var"


def shared_data_dir() -> Path:
    """The project's shared real-data folder (``../shared/data`` beside the repository)."""
    repo = Path(__file__).resolve().parents[2]
    return (repo.parent / "shared" / "data").resolve()


def config_file() -> Path | None:
    """``YUZHI_CONFIG`` (must exist), else ``yuzhi.toml`` in the working folder when present."""
    named = os.environ.get("YUZHI_CONFIG")
    if named:
        if not Path(named).is_file():
            raise ValueError(f"YUZHI_CONFIG names {named}, which does not exist or is not a file")
        return Path(named)
    default = Path("yuzhi.toml")
    return default if default.is_file() else None


class Settings(BaseSettings):
    """Every setting, from (highest first) the environment (``YUZHI_<NAME>``), a ``.env`` file in the
    working folder (same names), and ``yuzhi.toml`` (or ``YUZHI_CONFIG``; keys without the prefix,
    e.g. ``database_url = "postgresql://…"``). docs/operations.md lists them all."""

    model_config = SettingsConfigDict(env_prefix="YUZHI_", extra="ignore", env_file=".env",
                                      env_file_encoding="utf-8")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = config_file()
        sources = [init_settings, env_settings, dotenv_settings]
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return (*sources, file_secret_settings)

    environment: str = "development"
    home: Path = default_home()
    database_url: str = ""
    secret_key: str = _DEV_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = 12
    log_format: str = "text"  # text | json (one JSON object per line, with the request id)
    log_level: str = "info"
    dispatcher: bool = True  # run the compute dispatcher in `yuzhi serve` (leader-elected across processes)
    # audit anchoring (see yuzhi.audit.anchor): files outside the database, key outside the database
    audit_anchor_file: Path | None = None  # default: <home>/audit/anchors.jsonl
    audit_key_file: Path | None = None  # default: <home>/keys/audit-anchor.keys (mode 0600)
    audit_key: str = ""  # YUZHI_AUDIT_KEY: an extra signing key held only in the environment
    audit_anchor_seconds: float = 60.0  # `yuzhi serve` anchors at least this often (0: off)
    stale_check_seconds: float = 60.0  # `yuzhi serve` checks for silent sensors this often, one process (0: off)
    # behind a reverse proxy: trust its X-Forwarded-Proto (HSTS, Secure cookies) and X-Forwarded-For
    behind_proxy: bool = False
    # YUZHI_WEBHOOK_ALLOW: hosts or networks (comma-separated, e.g. "127.0.0.1,10.8.0.0/16") that webhooks
    # may target although loopback, link-local or cloud-metadata addresses are refused by default
    webhook_allow: str = ""
    # the zone times are shown in (pages, exports, CLI tables); stored times stay UTC (yuzhi.fmt)
    timezone: str = "Asia/Shanghai"

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.home / 'yuzhi.db').as_posix()}"
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.timezone)
        except Exception:
            raise ValueError(f"YUZHI_TIMEZONE must be a time zone name like Asia/Shanghai, not {self.timezone!r}") \
                from None
        if self.log_format not in ("text", "json"):
            raise ValueError(f"YUZHI_LOG_FORMAT must be text or json, not {self.log_format!r}")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"YUZHI_LOG_LEVEL must be debug, info, warning, error or critical, not {self.log_level!r}")
        if self.environment != "development" and self.secret_key == _DEV_SECRET:
            raise ValueError(
                "YUZHI_SECRET_KEY must be set to a random value outside development "
                f"(YUZHI_ENVIRONMENT={self.environment})."
            )
        return self

    @property
    def artifact_dir(self) -> Path:
        return self.home / "artifacts"

    @property
    def anchor_path(self) -> Path:
        return self.audit_anchor_file or self.home / "audit" / "anchors.jsonl"

    @property
    def key_path(self) -> Path:
        return self.audit_key_file or self.home / "keys" / "audit-anchor.keys"


@lru_cache
def get_settings() -> Settings:
    return Settings()
