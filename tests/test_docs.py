"""The documents that describe the service stay true to it.

The committed OpenAPI schema matches the code, docker-compose.yml is a valid
Compose file, the README starts with the two commands a newcomer needs and
lists every environment variable that settings.py reads.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

ROOT = Path(__file__).resolve().parent.parent
DOCKER = "/usr/local/bin/docker"
REGENERATE = (
    "DEBUG=true DATA_DIR=/tmp/docs-data .venv/bin/python manage.py spectacular "
    "--file docs/openapi.yaml --validate"
)


def test_committed_openapi_schema_matches_the_code() -> None:
    # What `manage.py spectacular` does, in-process.
    with translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    generated = OpenApiYamlRenderer().render(schema, renderer_context={}).decode()
    committed = (ROOT / "docs" / "openapi.yaml").read_text()
    assert generated == committed, (
        f"docs/openapi.yaml is out of date with the API. Regenerate it with:\n  {REGENERATE}"
    )


def _compose_command() -> list[str]:
    """`docker compose` (the v2 plugin) where installed, else Debian's
    `docker-compose`; either validates a file with no engine running."""
    docker = shutil.which("docker") or (DOCKER if Path(DOCKER).exists() else None)
    if docker is not None:
        version = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=60
        )
        if version.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone is None:
        pytest.fail(
            "Neither `docker compose` nor `docker-compose` is installed, so docker-compose.yml "
            "cannot be checked: bin/system-packages installs Debian's docker-compose."
        )
    return [standalone]


def test_docker_compose_file_is_valid(tmp_path: Path) -> None:
    # .env is never committed: check the file as a deployer would use it,
    # with .env copied from .env.example.
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    result = subprocess.run(
        [*_compose_command(), "-f", "docker-compose.yml", "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"docker compose config failed:\n{result.stderr}"


def _sections(markdown: str) -> list[tuple[str, str]]:
    """(heading, body) for each second-level section."""
    parts = re.split(r"^## +(.+?)\s*$", markdown, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def test_readme_starts_with_quick_start() -> None:
    sections = _sections((ROOT / "README.md").read_text())
    assert sections, "README.md has no '## ' sections"
    heading, body = sections[0]
    assert heading == "Quick start", f"README.md's first section is {heading!r}, not 'Quick start'"
    assert "make run" in body
    assert "make test" in body


def _settings_variables() -> set[str]:
    """Names of the environment variables hatecrime/settings.py reads."""
    tree = ast.parse((ROOT / "hatecrime" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        reads_env = (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
        ) or (isinstance(func, ast.Name) and func.id == "_secret")
        first = node.args[0]
        if reads_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def test_readme_lists_every_setting() -> None:
    variables = _settings_variables()
    assert "DATABASE_URL" in variables  # the parser still finds the readers
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in variables if f"`{name}`" not in readme)
    assert not missing, f"README.md's configuration table does not list: {', '.join(missing)}"
