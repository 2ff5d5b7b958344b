"""Generate, check, regenerate once, fall back: the loop every coaching chain runs through.

1. Render the chain's prompt with the records masked (see `privacy`) and ask the engine.
2. Restore the answer and check it: grounding (hard) and the vague-comment check (soft).
3. Any problem: regenerate once with the problems listed in the prompt (`violations`).
4. Still ungrounded, or the engine failed: answer with the offline engine and say why in
   `fallback_reason`. Items that remain vague, or (a bug) ungrounded, are flagged in the
   output's `quality_flags`, so nothing unsupported passes as valid.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from coach.chains.grounding import Violation
from coach.chains.privacy import Pseudonymizer
from coach.chains.schemas import DataSufficiency, QualityFlag
from coach.core.prompts import render
from coach.drafts.store import Provenance
from coach.llm import ChatEngine, Deadline, Generation, LLMError, OfflineEngine, StructuredCall
from coach.quality import check_comments

logger = logging.getLogger("coach.chains")


T = TypeVar("T", bound=BaseModel)


@dataclass
class ChainSpec(Generic[T]):
    """What a chain hands the runner."""

    kind: str
    purpose: str
    template_id: str
    schema: type[T]
    variables: dict[str, Any]
    compose: Callable[[], T]
    validate: Callable[[T], list[Violation]]
    quality_items: Callable[[T], list[tuple[str, str]]]
    lang: str = "zh"
    retrieved_ids: list[str] = field(default_factory=list)
    sufficiency: DataSufficiency | None = None


@dataclass
class Attempt:
    """One answer and what was wrong with it."""

    provider: str
    violations: list[str]
    vague: list[str]
    error: str | None = None


@dataclass
class ChainResult(Generic[T]):
    """The final output with its provenance and the history of attempts."""

    output: T
    provenance: Provenance
    attempts: list[Attempt]


def _vague_items(spec: ChainSpec[T], output: T) -> list[QualityFlag]:
    items = [(path, text) for path, text in spec.quality_items(output) if text.strip()]
    checks = check_comments([text for _, text in items], spec.lang)
    flags = []
    for (path, _), check in zip(items, checks, strict=True):
        if check.vague:
            hint = check.findings[0].hint if check.findings else "add a concrete example"
            flags.append(QualityFlag(path=path, kind="vague", message=hint))
    return flags


async def run_chain(
    spec: ChainSpec[T],
    *,
    engine: ChatEngine,
    pseudonymizer: Pseudonymizer,
    policy_reason: str | None = None,
    deadline: Deadline | None = None,
    draft_id: str | None = None,
) -> ChainResult[T]:
    """Run one chain on one engine with checks, one regeneration and the offline fallback.

    `deadline` is the request's: the LLM may use what loading and earlier attempts left of it.
    Every call is logged under `draft_id`, the draft the result will fill.
    Masking, rendering and checking run in worker threads, off the event loop.
    """
    masked = await asyncio.to_thread(pseudonymizer.mask_value, spec.variables)

    def call(violations: list[str]) -> StructuredCall[T]:
        prompt = render(spec.template_id, **masked, violations=pseudonymizer.mask_value(violations))
        return StructuredCall(
            purpose=spec.purpose,
            prompt=prompt,
            schema=spec.schema,
            offline=spec.compose,
            retrieved_ids=spec.retrieved_ids,
            deadline=deadline,
            draft_id=draft_id,
        )

    def checked(output: T) -> tuple[T, list[Violation], list[QualityFlag]]:
        restored = pseudonymizer.unmask_model(output)
        return restored, spec.validate(restored), _vague_items(spec, restored)

    attempts: list[Attempt] = []
    fallback_reason = policy_reason
    first_call = await asyncio.to_thread(call, [])
    retry_with: list[str] = []
    final: Generation[T] | None = None
    final_problems: list[Violation] = []
    final_vague: list[QualityFlag] = []

    for round_ in (1, 2):
        current = first_call if round_ == 1 else await asyncio.to_thread(call, retry_with)
        try:
            generation = await engine.agenerate(current)
        except LLMError as exc:
            attempts.append(Attempt(engine.provider, [], [], error=f"{exc.outcome}: {exc}"))
            fallback_reason = f"{engine.provider} call failed: {exc}; answered offline"
            final = None  # never keep an earlier answer that failed its checks
            break
        output, problems, vague = await asyncio.to_thread(checked, generation.output)
        attempts.append(
            Attempt(generation.provider, [p.message() for p in problems], [f.path for f in vague])
        )
        generation.output = output
        final, final_problems, final_vague = generation, problems, vague
        if engine.provider == "offline":
            break  # the offline composer is deterministic: asking again gives the same answer
        if not problems and not vague:
            break
        if round_ == 1:
            retry_with = [p.message() for p in problems] + [
                f"{f.path}: vague: {f.message}" for f in vague
            ]
            continue
        if problems:
            fallback_reason = (
                f"{engine.provider} answer failed the grounding check twice "
                f"({len(problems)} problems, first: {problems[0].message()}); answered offline"
            )
            final = None

    if final is None:
        offline = OfflineEngine(engine.call_log)
        generation = await offline.agenerate(first_call)
        problems = await asyncio.to_thread(spec.validate, generation.output)
        vague = await asyncio.to_thread(_vague_items, spec, generation.output)
        attempts.append(
            Attempt(offline.provider, [p.message() for p in problems], [f.path for f in vague])
        )
        final, final_problems, final_vague = generation, problems, vague

    if final_problems:
        logger.error(
            "chain %s produced ungrounded items after fallback: %s",
            spec.kind,
            "; ".join(p.message() for p in final_problems),
        )
    flags = final_vague + [
        QualityFlag(path=p.path, kind="ungrounded", message=f"{p.kind}: {p.detail}")
        for p in final_problems
    ]
    # Like the flags, the sufficiency is the service's finding, whatever the model put there.
    computed: dict[str, Any] = {"quality_flags": flags}
    if spec.sufficiency is not None:
        computed["data_sufficiency"] = spec.sufficiency
    output = final.output.model_copy(update=computed)
    provenance = Provenance(
        provider=final.provider,
        model=final.model,
        template_id=final.template_id,
        template_hash=final.template_hash,
        fallback_reason=fallback_reason,
    )
    return ChainResult(output=output, provenance=provenance, attempts=attempts)
