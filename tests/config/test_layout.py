"""The layout rules: platform/ stays a plain folder, apps import only to their left, and the
import-linter contracts in pyproject.toml hold (and catch a deliberate violation)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each app may import the apps to its left, never those to its right.
ORDER = ["accounts", "moderation", "cameo", "generation", "feed"]
APP_DIRS = {
    "accounts": ROOT / "platform" / "accounts",
    "moderation": ROOT / "moderation",
    "cameo": ROOT / "cameo",
    "generation": ROOT / "generation",
    "feed": ROOT / "feed",
}


def test_platform_folder_is_not_a_package():
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_standard_library_platform_module_still_works_with_the_project_loaded():
    code = (
        "import django, os\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test'\n"
        "django.setup()\n"
        "import celery, uuid, platform\n"
        "from config.celery_app import app\n"
        "assert platform.system() == 'Linux', platform.system()\n"
        "assert platform.__file__.startswith(os.path.dirname(os.__file__)), platform.__file__\n"
        "print('ok', platform.python_version())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_manage_py_puts_the_source_root_on_the_path():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 0, result.stderr


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ORDER)


def test_apps_import_only_apps_to_their_left():
    offences = []
    for app, folder in APP_DIRS.items():
        allowed = set(ORDER[: ORDER.index(app) + 1])
        for path in folder.rglob("*.py"):
            for name in _imported_apps(path) - allowed:
                offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=root, capture_output=True,
        text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{root / 'platform'}:{root}"},
    )


def test_the_import_contracts_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout and result.stdout.count("KEPT") == 3


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        ("cameo/scratch.py", "import feed.models\n", "cameo.scratch -> feed.models"),
        ("platform/config/scratch.py", "from moderation import services\n", "config.scratch -> moderation.services"),
        ("generation/views.py", "from generation.runner import job_run\n", "generation.views -> generation.runner"),
        ("feed/scratch.py", "from moderation.media.faces import face_embeddings\n",
         "feed.scratch -> moderation.media.faces"),
    ],
)
def test_a_deliberate_violation_breaks_a_contract(tmp_path, module, line, expected):
    """Each contract fails on a copy of the tree with one forbidden import added."""
    for name in ("platform", "feed", "generation", "cameo", "moderation"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text((target.read_text() + "\n" if target.exists() else "") + line)
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    assert result.stdout.count("BROKEN") == 1
    assert expected in result.stdout.split("Broken contracts", 1)[1]
