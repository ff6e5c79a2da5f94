"""What a fresh machine gets: the version it runs, the licence, and the versions the tests passed with."""
from __future__ import annotations

import subprocess
import tomllib
from importlib.metadata import PackageNotFoundError, version

from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.cli import cli
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pins() -> dict[str, str]:
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    pairs = (line.split("==", 1) for line in lines if "==" in line and not line.lstrip().startswith("#"))
    return {canonicalize_name(name.strip()): ver.split()[0].strip() for name, ver in pairs}


def test_baoxiu_version_prints_the_projects_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"baoxiu {PYPROJECT['project']['version']}"


def test_the_licence_is_mit_and_pyproject_says_so() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert PYPROJECT["project"]["license"] == "MIT"


def test_every_dependency_is_locked_within_pyprojects_range() -> None:
    locked = pins()
    wanted = PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["test"]
    for spec in map(Requirement, wanted):
        name = canonicalize_name(spec.name)
        assert name in locked, f"{name} is not in requirements.lock (run make lock)"
        assert spec.specifier.contains(locked[name]), f"{name}=={locked[name]} is outside {spec.specifier}"


def test_the_environment_the_tests_run_in_has_the_locked_versions() -> None:
    wrong = []
    for name, pinned in pins().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = "missing"
        if installed != pinned:
            wrong.append(f"{name} {installed} (lock: {pinned})")
    assert not wrong, "rebuild .venv with make install: " + ", ".join(wrong)


def test_make_installs_from_the_lock_file_and_the_project_without_its_own_resolution() -> None:
    dry = subprocess.run(["make", "-n", "-B", "install", "VENV=/nonexistent-venv"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    assert "pip install -q -r requirements.lock" in dry and "pip install -q --no-deps -e ." in dry
