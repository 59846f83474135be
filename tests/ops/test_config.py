"""Settings from the environment, a ``.env`` file and ``yuzhi.toml`` (or ``YUZHI_CONFIG``), in that order."""

from __future__ import annotations

import pytest

from yuzhi.config import Settings


@pytest.fixture
def clean_env(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    for name in ("YUZHI_CONFIG", "YUZHI_PORT", "YUZHI_LOG_FORMAT", "YUZHI_HOME", "YUZHI_DATABASE_URL",
                 "YUZHI_SESSION_HOURS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_toml_then_dotenv_then_environment(clean_env, monkeypatch):
    (clean_env / "yuzhi.toml").write_text('port = 9001\nlog_format = "json"\nsession_hours = 8\n'
                                          'database_url = "postgresql://yz@db.internal/yuzhi"\n')
    s = Settings()
    assert (s.port, s.log_format, s.session_hours) == (9001, "json", 8)
    assert s.database_url == "postgresql://yz@db.internal/yuzhi"
    (clean_env / ".env").write_text("YUZHI_PORT=9002\n")
    assert Settings().port == 9002 and Settings().session_hours == 8
    monkeypatch.setenv("YUZHI_PORT", "9003")
    assert Settings().port == 9003


def test_named_config_file_must_exist(clean_env, monkeypatch):
    other = clean_env / "etc-yuzhi.toml"
    other.write_text("port = 9100\n")
    monkeypatch.setenv("YUZHI_CONFIG", str(other))
    assert Settings().port == 9100
    monkeypatch.setenv("YUZHI_CONFIG", str(clean_env / "missing.toml"))
    with pytest.raises(ValueError, match="does not exist"):
        Settings()


def test_bad_values_are_named(clean_env, monkeypatch):
    monkeypatch.setenv("YUZHI_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="YUZHI_LOG_FORMAT must be text or json"):
        Settings()
