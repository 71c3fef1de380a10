"""The README documents every environment variable the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_variable_is_in_the_readme_table():
    settings_source = (ROOT / "factcheck" / "settings.py").read_text()
    variables = set(re.findall(r'env_(?:str|bool|int|list|choice)\(\s*"([A-Z0-9_]+)"', settings_source))
    assert "DATABASE_URL" in variables and len(variables) > 20
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert not variables - documented, f"undocumented: {sorted(variables - documented)}"
    assert not documented - variables, f"documented but not read: {sorted(documented - variables)}"


def test_variables_read_outside_the_settings_are_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    sources = [ROOT / "gunicorn.conf.py", ROOT / "bin" / "run.py", ROOT / "ops" / "pg.py"]
    names = set()
    for path in sources:
        names |= set(re.findall(r'os\.environ\.get\("([A-Z0-9_]+)"', path.read_text()))
    names.discard("DATABASE_URL")  # in the table
    assert {"GUNICORN_WORKERS", "PG_BIN_DIR", "PORT"} <= names
    missing = {name for name in names if f"`{name}`" not in readme}
    assert not missing, f"undocumented: {sorted(missing)}"


def test_readme_shows_the_two_commands_and_existing_pictures():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    for picture in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme):
        assert (ROOT / picture).is_file(), f"README shows a missing picture: {picture}"
