"""The built wheel, installed into a clean virtual environment outside the checkout, runs the offline commands.

How: the checkout's files (tracked and untracked, not ignored; ``newsgen/data/*`` links kept) are copied to
a temporary directory and the wheel is built there (``pip wheel --no-deps --no-build-isolation``: no
network, and nothing written into the checkout). A new venv (``python -m venv``, no system site-packages)
gets the wheel with ``--no-deps``. The dependencies (torch, transformers, ... several GB) are not
downloaded again: a ``.pth`` file in the new venv appends the project venv's site-packages to ``sys.path``.
A path added by a ``.pth`` file is not a site directory, so the project venv's own ``.pth`` files (its
editable install of newsgen among them) are not run, and the venv's own site-packages come first: the
``newsgen`` imported is the wheel's, which the test asserts. Commands run from a directory outside the
checkout with the checkout nowhere on ``sys.path``, so templates, schemas and examples can only come from
the package data.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from newsgen.config import ROOT

pytestmark = [pytest.mark.slow]


def copy_checkout(dst: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the work tree
        out = dst / name
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            out.symlink_to(os.readlink(src))
        elif src.is_file():
            shutil.copy2(src, out)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("wheel")
    src, dist, venv, work = base / "src", base / "dist", base / "venv", base / "elsewhere"
    copy_checkout(src)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(dist), str(src)], check=True, cwd=base)
    [wheel] = dist.glob("newsgen-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "newsgen-test-deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSGEN_", "PYTHON", "VIRTUAL_ENV"))}
    env.update({"PATH": f"{venv / 'bin'}:{env.get('PATH', '')}", "COLUMNS": "200", "HF_HUB_OFFLINE": "1"})
    return {"wheel": wheel, "venv": venv, "purelib": Path(purelib), "cwd": work, "env": env}


def newsgen(installed, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(installed["venv"] / "bin" / "newsgen"), *args], cwd=installed["cwd"],
                          env=installed["env"], input=stdin, capture_output=True, text=True, timeout=300)


def test_wheel_carries_templates_schemas_and_examples(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for name in ("newsgen/data/templates/lexicon.json", "newsgen/data/templates/football_match/note.ru.j2",
                 "newsgen/data/schemas/football_match.json", "newsgen/data/schemas/note.json",
                 "producers/examples/football.jsonl", "newsgen/desk/static/index.html"):
        assert name in names
    assert not any(n.startswith(("tests/", "ops/")) for n in names)


def test_installed_package_is_the_wheel_and_finds_its_data(installed):
    code = ("import json, newsgen, producers; from newsgen.config import load_settings; s = load_settings(); "
            "print(json.dumps([newsgen.__file__, producers.__file__, str(s.templates_dir), str(s.schemas_dir)]))")
    done = subprocess.run([str(installed["venv"] / "bin" / "python"), "-c", code], cwd=installed["cwd"],
                          env=installed["env"], capture_output=True, text=True, check=True)
    paths = [Path(p) for p in json.loads(done.stdout)]
    assert all(p.is_relative_to(installed["purelib"]) for p in paths), paths
    assert not any(p.is_relative_to(ROOT) for p in paths)


def test_validate_seed_check_and_templates_lint_from_the_wheel(installed, tmp_path):
    record = json.loads((ROOT / "producers" / "examples" / "football.jsonl").read_text(encoding="utf-8")
                        .splitlines()[0])
    good = installed["cwd"] / "record.json"
    good.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    bad = installed["cwd"] / "bad.jsonl"
    bad.write_text(json.dumps({**record, "id": "x", "home": None}, ensure_ascii=False) + "\n", encoding="utf-8")

    done = newsgen(installed, "validate", str(good))
    assert done.returncode == 0, done.stdout + done.stderr
    done = newsgen(installed, "validate", str(bad))
    assert done.returncode == 3, done.stdout + done.stderr

    done = newsgen(installed, "seed", str(good))
    assert done.returncode == 0 and done.stdout.strip(), done.stdout + done.stderr
    fallback = newsgen(installed, "seed", "--fallback", str(good))
    assert fallback.returncode == 0 and fallback.stdout.strip(), fallback.stdout + fallback.stderr

    done = newsgen(installed, "check", str(good), fallback.stdout.strip())
    assert done.returncode == 0, done.stdout + done.stderr
    done = newsgen(installed, "check", str(good), "Матч закончился со счётом 9:9.")
    assert done.returncode == 1, done.stdout + done.stderr

    done = newsgen(installed, "templates", "lint")
    assert done.returncode == 0, done.stdout + done.stderr
