"""docs/production.md, .env.example and the example process files stay in step with the code."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# env_bool("NAME", …), env_int, env_list, env_required and os.environ.get("NAME" …) in settings.py.
ENV_READER = re.compile(r'(?:\benv_(?:bool|int|list|required)|\bos\.environ\.get)\(\s*"([A-Z][A-Z0-9_]*)"')


def variables_in_settings() -> set[str]:
    return set(ENV_READER.findall((ROOT / "config" / "settings.py").read_text()))


def variables_in_env_example() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.MULTILINE))


def variables_in_production_guide() -> set[str]:
    guide = (ROOT / "docs" / "production.md").read_text()
    section = guide.split("\n## Environment variables\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, re.MULTILINE))


def exec_start(unit: str) -> str:
    """Return a unit's ExecStart command with its continuation lines."""
    return re.search(r"^ExecStart=((?:.*\\\n)*.*)$", unit, re.MULTILINE).group(1)  # type: ignore[union-attr]


def test_the_settings_reader_pattern_finds_the_variables() -> None:
    found = variables_in_settings()
    assert {"SECRET_KEY", "DATABASE_URL", "DEBUG", "DB_CONN_MAX_AGE", "ALLOWED_HOSTS", "COUNTERCLAIM_VAR_DIR"} <= found
    assert "NAME" not in found and len(found) > 40


def test_every_variable_settings_reads_is_in_env_example() -> None:
    assert variables_in_settings() - variables_in_env_example() == set()


def test_the_production_guide_tables_exactly_what_env_example_lists() -> None:
    listed = variables_in_env_example()
    tabled = variables_in_production_guide()
    assert variables_in_settings() - tabled == set(), "read by settings.py, missing from docs/production.md"
    assert listed - tabled == set(), "in .env.example, missing from docs/production.md"
    assert tabled - listed == set(), "in docs/production.md, missing from .env.example"


def test_the_procfile_runs_exactly_one_beat_and_no_worker_with_its_own() -> None:
    processes = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line and not line.startswith("#")
    )
    assert set(processes) == {"web", "worker", "beat", "release"}
    assert processes["web"].split()[:2] == ["gunicorn", "config.wsgi"]
    assert "celery -A config beat" in processes["beat"]
    assert "celery -A config worker" in processes["worker"]
    assert not re.search(r"\s(-B|--beat)\b", processes["worker"])
    assert "migrate" in processes["release"]


def test_systemd_units_stop_workers_warmly_and_run_as_the_service_user() -> None:
    units = {path.name: path.read_text() for path in (ROOT / "deploy" / "systemd").glob("*.service")}
    assert {"counterclaim-web.service", "counterclaim-worker@.service", "counterclaim-beat.service"} <= set(units)
    for name, text in units.items():
        assert "EnvironmentFile=/etc/counterclaim/counterclaim.env" in text, name
        assert "User=counterclaim" in text, name
    for name in ("counterclaim-web.service", "counterclaim-worker@.service", "counterclaim-beat.service"):
        assert "Restart=always" in units[name], name
    worker = units["counterclaim-worker@.service"]
    assert "KillSignal=SIGTERM" in worker and "KillMode=mixed" in worker
    stop = int(re.search(r"^TimeoutStopSec=(\d+)$", worker, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert stop > settings.CELERY_TASK_TIME_LIMIT  # a running check finishes before systemd kills it
    assert not re.search(r"\s(-B|--beat)\b", exec_start(worker))
    web = units["counterclaim-web.service"]
    graceful = int(re.search(r"--graceful-timeout (\d+)", web).group(1))  # type: ignore[union-attr]
    assert int(re.search(r"^TimeoutStopSec=(\d+)$", web, re.MULTILINE).group(1)) > graceful  # type: ignore[union-attr]
