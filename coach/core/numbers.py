"""Find numbers in text and check them against the numbers a text may state.

Used to validate LLM output: every number in a generated text must match an allowed
value at the precision the text shows it (so "12.3" matches 12.34, "1.2万" matches
12,345 and "80%" matches 0.8 or 80). Calendar references such as 2025Q3, 2025-07 or
2025年7月 are not quantities and are skipped by default.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Full-width digits and signs to ASCII; the full-width comma stays a clause separator.
_FULL_WIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "．": ".",
        "％": "%",
        "－": "-",
        "＋": "+",
        "−": "-",
    }
)
_PERIOD = re.compile(
    r"\d{4}\s*[Qq]\s*[1-4]"
    r"|\d{4}-\d{1,2}(?:-\d{1,2})?(?!\d)"
    r"|\d{4}/\d{1,2}(?:/\d{1,2})?(?!\d)"
    r"|\d{4}\s*年(?:\s*第?\s*\d{1,2}\s*(?:季度|月)(?:\s*\d{1,2}\s*[日号])?)?"
)
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])"
    r"(?P<sign>[-+](?=\d))?"
    r"(?P<int>\d{1,3}(?:,\d{3})+(?![\d])|\d+)"
    r"(?:\.(?P<frac>\d+))?"
    r"(?P<mult>\s?(?:百万|万|亿|千|[kK](?![A-Za-z])))?"
    r"(?P<pct>\s?[%‰])?"
)
_MULTIPLIERS = {"百万": 1e6, "万": 1e4, "亿": 1e8, "千": 1e3, "k": 1e3, "K": 1e3}


@dataclass(frozen=True)
class NumberToken:
    """A number as written: its value, the text, and the precision it is shown at."""

    text: str
    value: float
    step: float
    percent: bool
    multiplier: float = 1.0


def _normalise(text: str, skip_periods: bool) -> str:
    text = text.translate(_FULL_WIDTH)
    if skip_periods:
        text = _PERIOD.sub(lambda m: " " * len(m.group(0)), text)
    return text


def number_tokens(text: str, *, skip_periods: bool = True) -> list[NumberToken]:
    """Numbers in text with their shown precision (value of one unit in the last digit)."""
    tokens = []
    for match in _NUMBER.finditer(_normalise(text, skip_periods)):
        frac = match.group("frac") or ""
        mult_text = (match.group("mult") or "").strip()
        multiplier = _MULTIPLIERS.get(mult_text, 1.0)
        magnitude = float(match.group("int").replace(",", "") + ("." + frac if frac else ""))
        sign = -1.0 if match.group("sign") == "-" else 1.0
        pct = (match.group("pct") or "").strip()
        value = sign * magnitude * multiplier
        step = 10.0 ** -len(frac) * multiplier
        if pct == "‰":
            value, step = value / 10, step / 10  # per mille as a percent
        tokens.append(NumberToken(match.group(0).strip(), value, step, bool(pct), multiplier))
    return tokens


def extract_numbers(text: str, *, skip_periods: bool = True) -> list[float]:
    """Values of the numbers in text: "1,234.5" -> 1234.5, "12.5%" -> 12.5, "1.2万" -> 12000."""
    return [token.value for token in number_tokens(text, skip_periods=skip_periods)]


def _matches(shown: float, step: float, allowed: float, rel_tol: float) -> bool:
    # Signs are ignored: texts often carry direction in words ("下降 5%", "down 5%").
    a, v = abs(allowed), abs(shown)
    if abs(a - v) <= step / 2 + 1e-9 * max(1.0, v):
        return True
    return math.isclose(a, v, rel_tol=rel_tol)


def ungrounded_numbers(
    text: str, allowed: Iterable[float], *, rel_tol: float = 1e-3, skip_periods: bool = True
) -> list[str]:
    """Numbers in text (as written) that match no allowed value at their shown precision."""
    values = [float(a) for a in allowed if math.isfinite(float(a))]
    bad = []
    for token in number_tokens(text, skip_periods=skip_periods):
        candidates = [(token.value, token.step)]
        if token.percent:
            # "80%" may state the fraction 0.8 as well as the percentage 80.
            candidates.append((token.value / 100, token.step / 100))
        if token.multiplier != 1.0:
            # "73.0 万元" is 73.0 in a metric whose unit is 万元.
            candidates.append((token.value / token.multiplier, token.step / token.multiplier))
        if not any(_matches(v, s, a, rel_tol) for v, s in candidates for a in values):
            bad.append(token.text)
    return bad
