"""The deployment files (Docker cannot run here, so they are checked statically) and the
environment-driven settings."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, spec in SERVICES.items() if "build" in spec]


def test_compose_has_the_production_like_stack():
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(SERVICES)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in SERVICES[name], f"{name} has no health check"
    assert set(COMPOSE["volumes"]) >= {"pgdata", "redisdata"}


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_app_service_command_exists(service):
    command = SERVICES[service]["command"]
    program = command[0]
    if "/" in program:
        assert (ROOT / program).is_file(), f"{service}: {program} is not in the repository"
        assert (ROOT / program).stat().st_mode & 0o111, f"{service}: {program} is not executable"
    else:
        # A console script installed by requirements.lock (celery, gunicorn…).
        venv_bin = Path(sys.executable).parent
        assert (venv_bin / program).exists() or shutil.which(program), f"{service}: {program} not installed"
        locked = (ROOT / "requirements.lock").read_text().lower()
        assert f"\n{program}==" in f"\n{locked}", f"{service}: {program} is not pinned in requirements.lock"
    if "-A" in command:
        assert command[command.index("-A") + 1] == "factcheck"


def test_files_referenced_by_compose_and_dockerfile_exist():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for line in dockerfile.splitlines():
        if line.startswith("COPY ") and " . " not in line + " ":
            for name in line.split()[1:-1]:
                assert (ROOT / name).exists(), f"Dockerfile copies missing {name}"
        if line.startswith("CMD "):
            assert (ROOT / yaml.safe_load(line[4:])[0]).is_file()
    web_script = (ROOT / "bin/docker-web.sh").read_text()
    assert "migrate" in web_script and "gunicorn.conf.py" in web_script
    assert (ROOT / "gunicorn.conf.py").is_file()


@pytest.mark.parametrize("service", [s for s in SERVICES if "healthcheck" in SERVICES[s]])
def test_health_check_targets_exist(service):
    test = SERVICES[service]["healthcheck"]["test"]
    if "bin/healthcheck.py" in test:
        assert (ROOT / "bin/healthcheck.py").is_file()
        url = test[-1]
        path = "/" + url.split("/", 3)[3]
        try:
            resolve(path)
        except Resolver404:  # pragma: no cover - the assertion message is the point
            pytest.fail(f"{service} health check calls {path}, which no URL serves")


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": "postgres://x@localhost/x",
            "DJANGO_SETTINGS_MODULE": "factcheck.settings",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_DEBUG", "ture", "DJANGO_DEBUG='ture' is not a boolean"),
        ("DATABASE_CONN_MAX_AGE", "a minute", "DATABASE_CONN_MAX_AGE='a minute' is not an integer"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL='loud' must be one of"),
        ("SECRET_KEY_FILE", "/nonexistent/secret", "SECRET_KEY_FILE='/nonexistent/secret' cannot be read"),
    ],
)
def test_bad_settings_fail_loudly_naming_the_variable(tmp_path, variable, value, message):
    result = run_settings({"DATA_DIR": str(tmp_path), variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_good_settings_start(tmp_path):
    result = run_settings({"DATA_DIR": str(tmp_path), "DJANGO_DEBUG": "off"})
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    """docs/operations.md's production environment gives `check --deploy` nothing to say."""
    production = {
        "DATA_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 20 + "production-secret-key-of-some-length-and-entropy-1234567890",
        "ALLOWED_HOSTS": "factcheck.example.org",
        "SITE_URL": "https://factcheck.example.org",
        "HTTPS": "1",
        "TRUST_X_FORWARDED_PROTO": "1",
        "SECURE_HSTS_PRELOAD": "1",
        "CSRF_TRUSTED_ORIGINS": "https://factcheck.example.org",
    }
    documented = (ROOT / "docs" / "operations.md").read_text()
    for variable in production:
        if variable != "DATA_DIR":
            assert f"{variable}=" in documented, f"{variable} is not in docs/operations.md"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgres://x@localhost/x", **production},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
