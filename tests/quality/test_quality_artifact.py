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
    with pytest.raises(ValueError, match="test rows"):
        train_mod.train(rows)


def test_loader_reads_every_source_and_no_test_rows(tmp_path: Path) -> None:
    for source, (name, _) in train_mod.TRAINING_SOURCES.items():
        rows = _rows("train", 3) + _rows("test", 3) if name == "comments.jsonl" else _rows("x", 2)
        for row in rows:
            if name != "comments.jsonl":
                del row["split"]
            row["id"] = f"{source}-{row['id']}"
        (tmp_path / name).write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    loaded = train_mod.load_training_rows(tmp_path)
    assert "test" not in {r.get("split") for r in loaded}
    assert {r["source"] for r in loaded} == set(train_mod.TRAINING_SOURCES)
    assert len(loaded) == 3 + 2 * (len(train_mod.TRAINING_SOURCES) - 1)


def test_training_never_reads_a_split_the_eval_measures_as_test() -> None:
    from evals import comments as comments_eval

    trained = {name for name, _ in train_mod.TRAINING_SOURCES.values()}
    test_path, _ = comments_eval.SPLITS[comments_eval.TEST_SPLIT]
    assert test_path.name not in trained
    old_path, old_keep = comments_eval.SPLITS["old"]
    assert (
        train_mod.TRAINING_SOURCES["train"] == (old_path.name, "train") != (old_path.name, old_keep)
    )
