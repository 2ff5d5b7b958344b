"""The artifact: self-contained at runtime, trained deterministically on the train split only."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import coach.quality
from coach.quality import train as train_mod

PACKAGE = Path(coach.quality.__file__).parent


def test_runtime_works_without_evals_or_sklearn(tmp_path: Path) -> None:
    """Copy only coach/quality to an empty directory and check a comment there."""
    (tmp_path / "coach").mkdir()
    (tmp_path / "coach" / "__init__.py").write_text("")
    shutil.copytree(
        PACKAGE, tmp_path / "coach" / "quality", ignore=shutil.ignore_patterns("train.py")
    )
    script = (
        "import sys\n"
        "sys.modules['sklearn'] = None\n"  # importing scikit-learn at runtime would now fail
        "from coach.quality.classifier import default_model\n"
        "default_model()\n"
        "from coach.quality import check_comment\n"
        "assert check_comment('表现良好').vague\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_runtime_modules_do_not_mention_evals() -> None:
    for name in (
        "advice",
        "check",
        "classifier",
        "features",
        "lexicon",
        "models",
        "script",
        "spans",
    ):
        assert "evals" not in (PACKAGE / f"{name}.py").read_text(encoding="utf-8")


def _rows(split: str, n: int) -> list[dict[str, object]]:
    texts = ["表现良好", "上周修复了登录超时,投诉归零", "Good job", "Closed Acme for $40k on 2 May"]
    return [
        {"id": f"t{i}", "text": f"{texts[i % 4]} {i}", "vague": i % 2 == 0, "split": split}
        for i in range(n)
    ]


def test_training_is_deterministic() -> None:
    rows = _rows("train", 40)
    first = json.dumps(train_mod.train(rows), sort_keys=True)
    second = json.dumps(train_mod.train(rows), sort_keys=True)
    assert first == second


def test_training_refuses_test_rows() -> None:
    rows = _rows("train", 20) + _rows("test", 2)
    with pytest.raises(ValueError, match="non-train"):
        train_mod.train(rows)


def test_loader_keeps_only_train_rows(tmp_path: Path) -> None:
    data = tmp_path / "c.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in _rows("train", 3) + _rows("test", 3)))
    assert {r["split"] for r in train_mod.load_train_rows(data)} == {"train"}
