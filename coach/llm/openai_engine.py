"""An OpenAI-compatible chat endpoint (OpenAI, DeepSeek, Qwen, vLLM, Ollama) via LangChain."""

from __future__ import annotations

from typing import Any, Literal

import openai
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from coach.llm.base import CallLog, ChatEngine, LLMError, StructuredCall, T

StructuredMethod = Literal["function_calling", "json_schema", "json_mode"]


class OpenAIEngine(ChatEngine):
    """Structured output from `ChatOpenAI`; answers that do not fit the schema raise LLMError."""

    provider = "openai"

    def __init__(
        self,
        *,
        model: str,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        method: StructuredMethod = "function_calling",
        call_log: CallLog | None = None,
    ) -> None:
        super().__init__(call_log)
        self.model = model
        self.method: StructuredMethod = method
        self.chat = ChatOpenAI(
            model=model,
            api_key=SecretStr(api_key),
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            temperature=0.2,
        )

    @staticmethod
    def _messages(call: StructuredCall[T]) -> list[BaseMessage]:
        messages: list[BaseMessage] = []
        if call.prompt.system:
            messages.append(SystemMessage(content=call.prompt.system))
        messages.append(HumanMessage(content=call.prompt.user))
        return messages

    def _runnable(self, call: StructuredCall[T]) -> Any:
        return self.chat.with_structured_output(call.schema, method=self.method, include_raw=True)

    @staticmethod
    def _unpack(
        call: StructuredCall[T], result: dict[str, Any]
    ) -> tuple[T, int | None, int | None]:
        raw = result.get("raw")
        usage = getattr(raw, "usage_metadata", None) or {}
        parsed = result.get("parsed")
        if result.get("parsing_error") is not None or parsed is None:
            raise LLMError(
                f"answer did not fit {call.schema.__name__}: {result.get('parsing_error')}",
                outcome="invalid",
            )
        output = parsed if isinstance(parsed, call.schema) else call.schema.model_validate(parsed)
        return output, usage.get("input_tokens"), usage.get("output_tokens")

    def _produce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        try:
            result = self._runnable(call).invoke(self._messages(call))
        except openai.APIError as exc:
            raise LLMError(f"{type(exc).__name__}: {exc}", outcome="error") from exc
        return self._unpack(call, result)

    async def _aproduce(self, call: StructuredCall[T]) -> tuple[T, int | None, int | None]:
        try:
            result = await self._runnable(call).ainvoke(self._messages(call))
        except openai.APIError as exc:
            raise LLMError(f"{type(exc).__name__}: {exc}", outcome="error") from exc
        return self._unpack(call, result)
