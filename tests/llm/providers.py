"""Provider profiles: an in-process fake of the OpenAI-compatible servers companies run.

Each profile reproduces one documented behaviour of a real deployment (the page is cited in
its docstring). A profile is mounted on its own host under `.llm.test` through respx, so
nothing leaves the process. The "model" behind every profile knows the right answer (the
test hands it one per request) and only the way the server wraps, refuses or spoils it
differs, so a run that does not use the answer shows a client fault, not a model fault.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import httpx

Answer = Callable[[dict[str, Any]], dict[str, Any]]
Body = dict[str, Any]


def error(status: int, message: str) -> httpx.Response:
    """The OpenAI error envelope most servers use."""
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
    return httpx.Response(status, json=body)


def prompt_text(body: Body) -> str:
    """Everything the messages say, as one string."""
    parts = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        parts.append(str(content or ""))
    return "\n".join(parts)


def schema_visible(body: Body, answer: dict[str, Any]) -> bool:
    """Whether the request tells the model the answer's shape (tool, schema or the keys)."""
    if body.get("tools"):
        return True
    if (body.get("response_format") or {}).get("type") == "json_schema":
        return True
    text = prompt_text(body)
    return all(key in text for key in answer)


def completion(
    message: dict[str, Any],
    *,
    finish: str = "stop",
    usage: Any = None,
    model: str = "fake",
) -> httpx.Response:
    """A chat completion with one choice."""
    if usage is None:
        usage = {"prompt_tokens": 120, "completion_tokens": 60, "total_tokens": 180}
    body = {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": None, **message}}],
        "usage": usage,
    }  # fmt: skip
    return httpx.Response(200, json=body)


def tool_call(name: str, arguments: str) -> dict[str, Any]:
    """A message whose only content is one tool call."""
    return {"tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": name, "arguments": arguments}}]}  # fmt: skip


def tool_name(body: Body) -> str:
    tools = body.get("tools") or [{}]
    return str(tools[0].get("function", {}).get("name", "answer"))


class Profile:
    """OpenAI itself: tools with forced tool_choice, json_schema, and json_object when the
    prompt contains the word "json".

    https://platform.openai.com/docs/guides/structured-outputs (JSON mode: "the string
    'JSON' must appear somewhere in the context", else a 400).
    """

    name = "openai"
    model = "gpt-4o-mini"

    def __init__(self) -> None:
        self.answer: Answer = lambda body: {}
        self.requests: list[Body] = []

    @property
    def base_url(self) -> str:
        return f"http://{self.name.replace('_', '-')}.llm.test/v1"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body: Body = json.loads(request.content)
        self.requests.append(body)
        refused = self.refuse(body)
        if refused is not None:
            return refused
        wanted = self.answer(body)
        if not schema_visible(body, wanted):
            wanted = {"result": "按要求整理如下", "content": list(wanted.values())}
        return self.respond(body, json.dumps(wanted, ensure_ascii=False))

    def refuse(self, body: Body) -> httpx.Response | None:
        """A 4xx/5xx for what this server does not accept, or None."""
        kind = (body.get("response_format") or {}).get("type")
        if kind == "json_object" and "json" not in prompt_text(body).lower():
            return error(
                400,
                "'messages' must contain the word 'json' in some form, to use "
                "'response_format' of type 'json_object'.",
            )
        return None

    def respond(self, body: Body, answer: str) -> httpx.Response:
        """The completion carrying `answer` the way this server returns it."""
        if body.get("tools"):
            return completion(tool_call(tool_name(body), answer), finish="tool_calls")
        return completion({"content": answer})


class OllamaTools(Profile):
    """Ollama with a tools-capable model: `tool_choice` is ignored, so a forced call comes
    back as plain JSON in the content; json_schema and json_object are accepted.

    https://github.com/ollama/ollama/issues/8421 ("`tool_choice` argument is being ignored"),
    https://github.com/ollama/ollama/issues/17921.
    """

    name = "ollama_tools"
    model = "qwen2.5:7b"

    def refuse(self, body: Body) -> httpx.Response | None:
        return None

    def respond(self, body: Body, answer: str) -> httpx.Response:
        return completion({"content": answer})


class OllamaNoTools(Profile):
    """Ollama with a model whose template has no tools: any request with `tools` is a 400.

    https://github.com/ollama/ollama/issues/6027, https://github.com/ollama/ollama/issues/14795
    ("registry.ollama.ai/library/... does not support tools").
    """

    name = "ollama_no_tools"
    model = "gemma3:4b"

    def refuse(self, body: Body) -> httpx.Response | None:
        if body.get("tools"):
            return error(400, f"registry.ollama.ai/library/{self.model} does not support tools")
        return None


class DeepSeekChat(Profile):
    """DeepSeek deepseek-chat: tools work; `json_schema` is refused; `json_object` needs the
    word "json" in the prompt.

    https://api-docs.deepseek.com/guides/json_mode, https://github.com/ItzCrazyKns/Vane/issues/969
    ("This response_format type is unavailable now").
    """

    name = "deepseek_chat"
    model = "deepseek-chat"

    def refuse(self, body: Body) -> httpx.Response | None:
        kind = (body.get("response_format") or {}).get("type")
        if kind == "json_schema":
            return error(400, "This response_format type is unavailable now")
        if kind == "json_object" and "json" not in prompt_text(body).lower():
            return error(
                400,
                "Prompt must contain the word 'json' in some form to use 'response_format' "
                "of type 'json_object'.",
            )
        return None


class DeepSeekReasoner(DeepSeekChat):
    """DeepSeek deepseek-reasoner: no function calling, JSON Output works, the chain of
    thought comes back in `reasoning_content`, temperature is accepted and ignored.

    https://api-docs.deepseek.com/zh-cn/guides/reasoning_model ("不支持的功能：Function Calling").
    """

    name = "deepseek_reasoner"
    model = "deepseek-reasoner"

    def refuse(self, body: Body) -> httpx.Response | None:
        if body.get("tools"):
            return error(400, "deepseek-reasoner does not support Function Calling")
        return super().refuse(body)

    def respond(self, body: Body, answer: str) -> httpx.Response:
        return completion({"content": answer, "reasoning_content": "先看记录，再按格式回答。"})


class DashScope(Profile):
    """DashScope compatible mode (qwen-turbo, non-thinking): tools and forced tool_choice
    work; JSON Schema mode only on some qwen-plus models; JSON Object mode needs "json".

    https://www.alibabacloud.com/help/tc/model-studio/json-mode
    """

    name = "dashscope"
    model = "qwen-turbo"

    def refuse(self, body: Body) -> httpx.Response | None:
        kind = (body.get("response_format") or {}).get("type")
        if kind == "json_schema":
            return error(400, "<400> InternalError.Algo.InvalidParameter: json_schema is not "
                         f"supported by the model {self.model}")  # fmt: skip
        return super().refuse(body)


class DashScopeThinking(Profile):
    """DashScope with thinking on (qwen3, enable_thinking): forced tool_choice is a 400,
    structured output is for non-thinking mode only; the reasoning is in `reasoning_content`.

    https://www.alibabacloud.com/help/tc/model-studio/json-mode (supported models: "非思考模式"),
    FACTS: DashScope 400s on forced `tool_choice` in thinking mode.
    """

    name = "dashscope_thinking"
    model = "qwen3-32b"

    def refuse(self, body: Body) -> httpx.Response | None:
        choice = body.get("tool_choice")
        if body.get("tools") and (choice == "required" or isinstance(choice, dict)):
            return error(400, "<400> InternalError.Algo.InvalidParameter: The tool_choice "
                         "parameter does not support being set to required or object in "
                         "thinking mode")  # fmt: skip
        if body.get("response_format"):
            return error(400, "<400> InternalError.Algo.InvalidParameter: The response_format "
                         "parameter is not supported in thinking mode")  # fmt: skip
        return None

    def respond(self, body: Body, answer: str) -> httpx.Response:
        thinking = {"reasoning_content": "用户需要结构化回答。"}
        if body.get("tools"):
            return completion(
                {**tool_call(tool_name(body), answer), **thinking}, finish="tool_calls"
            )
        return completion({"content": answer, **thinking})


class VLLMNoParser(Profile):
    """vLLM started without `--enable-auto-tool-choice`: "auto"/"required" tool_choice is a
    400; a named tool_choice works through guided decoding; json_schema works.

    https://github.com/vllm-project/vllm/issues/9986 ('"auto" tool choice requires
    --enable-auto-tool-choice and --tool-call-parser to be set').
    """

    name = "vllm_no_parser"
    model = "Qwen/Qwen2.5-7B-Instruct"

    def refuse(self, body: Body) -> httpx.Response | None:
        choice = body.get("tool_choice")
        if body.get("tools") and choice in ("auto", "required"):
            return error(400, f'"{choice}" tool choice requires --enable-auto-tool-choice and '
                         "--tool-call-parser to be set")  # fmt: skip
        return None

    def respond(self, body: Body, answer: str) -> httpx.Response:
        if body.get("tools") and isinstance(body.get("tool_choice"), dict):
            return completion(tool_call(tool_name(body), answer), finish="tool_calls")
        return completion({"content": answer})


class VLLMAutoTools(Profile):
    """vLLM with `--enable-auto-tool-choice --tool-call-parser hermes`: every method works.

    https://docs.vllm.ai/en/latest/features/tool_calling.html
    """

    name = "vllm_auto_tools"
    model = "Qwen/Qwen2.5-7B-Instruct"

    def refuse(self, body: Body) -> httpx.Response | None:
        return None


class ThinkTags(Profile):
    """A reasoning model served without a reasoning parser (vLLM, llama.cpp): the answer
    content starts with `<think>…</think>`, and without a tool parser a tool call is text.

    https://github.com/vllm-project/vllm/issues/26239, https://github.com/ggml-org/llama.cpp/issues/25292
    """

    name = "think_tags"
    model = "deepseek-r1-distill-qwen-7b"

    def refuse(self, body: Body) -> httpx.Response | None:
        return None

    def respond(self, body: Body, answer: str) -> httpx.Response:
        return completion(
            {"content": f"<think>\n记录里有哪些事实？按格式回答。\n</think>\n\n{answer}"}
        )


class FencedProxy(Profile):
    """An API proxy in front of a chat model that drops `tools`/`response_format`: the
    model answers in a ```json fence with a sentence before it.

    https://www.alibabacloud.com/help/tc/model-studio/json-mode (without structured output
    "大模型可能返回多餘文本（如 ```json）").
    """

    name = "fenced_proxy"
    model = "proxy-model"

    def refuse(self, body: Body) -> httpx.Response | None:
        return None

    def respond(self, body: Body, answer: str) -> httpx.Response:
        return completion({"content": f"以下是结果：\n```json\n{answer}\n```"})


class LlamaCppPython(Profile):
    """llama-cpp-python's server: `json_schema` is a 500; with a chat format that has no
    tool support the model writes the call as text, `{"name": …, "arguments": …}`.

    https://github.com/ggml-org/llama.cpp/issues/23463 ("returns HTTP 500 instead of HTTP 422
    when response_format type is json_schema").
    """

    name = "llama_cpp_python"
    model = "qwen2.5-0.5b-instruct-q4_k_m.gguf"

    def refuse(self, body: Body) -> httpx.Response | None:
        if (body.get("response_format") or {}).get("type") == "json_schema":
            return httpx.Response(500, json={"error": {"code": 500, "type": "server_error",
                                  "message": 'response_format type must be one of "text" or '
                                             '"json_object", but got: json_schema'}})  # fmt: skip
        return None

    def respond(self, body: Body, answer: str) -> httpx.Response:
        if body.get("tools"):
            text = json.dumps({"name": tool_name(body), "arguments": json.loads(answer)},
                              ensure_ascii=False)  # fmt: skip
            return completion({"content": text})
        return completion({"content": answer})


class LMStudio(Profile):
    """LM Studio's server: tools and json_schema work; json_object is a 400 whose `error` is
    a bare string.

    https://github.com/lmstudio-ai/lmstudio-bug-tracker/issues/189 ("'response_format.type'
    must be 'json_schema'").
    """

    name = "lm_studio"
    model = "qwen2.5-7b-instruct"

    def refuse(self, body: Body) -> httpx.Response | None:
        if (body.get("response_format") or {}).get("type") == "json_object":
            return httpx.Response(
                400, json={"error": "'response_format.type' must be 'json_schema' or 'text'"}
            )
        return None


class OddUsage(Profile):
    """A gateway whose `usage` is null or partial and whose tool arguments come back as an
    object rather than a JSON string.

    https://github.com/ggml-org/llama.cpp/issues/24097 (servers that accept OpenAI fields
    but fill the response their own way); OpenAI's reference marks `usage` optional.
    """

    name = "odd_usage"
    model = "gateway-model"

    def refuse(self, body: Body) -> httpx.Response | None:
        return None

    def respond(self, body: Body, answer: str) -> httpx.Response:
        usage: Any = {"prompt_tokens": 120}
        if body.get("tools"):
            message = tool_call(tool_name(body), answer)
            message["tool_calls"][0]["function"]["arguments"] = json.loads(answer)
            return httpx.Response(200, json={
                "id": "x", "object": "chat.completion", "created": 1, "model": self.model,
                "choices": [{"index": 0, "finish_reason": "tool_calls",
                             "message": {"role": "assistant", "content": "", **message}}],
                "usage": None})  # fmt: skip
        return completion({"content": answer}, usage=usage)


class Truncating(Profile):
    """A small-context server that stops every answer at its output limit
    (`finish_reason: "length"`), whatever the method.

    https://api-docs.deepseek.com/guides/json_mode ("Set the max_tokens parameter reasonably
    to prevent the JSON string from being truncated midway").
    """

    name = "truncating"
    model = "tiny-ctx"

    def refuse(self, body: Body) -> httpx.Response | None:
        return None

    def respond(self, body: Body, answer: str) -> httpx.Response:
        cut = answer[: max(10, len(answer) // 3)]
        if body.get("tools"):
            return completion(tool_call(tool_name(body), cut), finish="length")
        return completion({"content": cut}, finish="length")


PROFILES: tuple[type[Profile], ...] = (
    Profile, OllamaTools, OllamaNoTools, DeepSeekChat, DeepSeekReasoner, DashScope,
    DashScopeThinking, VLLMNoParser, VLLMAutoTools, ThinkTags, FencedProxy, LlamaCppPython,
    LMStudio, OddUsage, Truncating,
)  # fmt: skip

_REPHRASE = re.compile(r"(?:待改写的说明：|Text to rewrite:)\n(.*?)\n\n", re.S)


def rephrase_answer(body: Body) -> dict[str, Any]:
    """What a faithful model answers to the rationale rephrase: the text, lightly reworded."""
    found = _REPHRASE.search(prompt_text(body))
    return {"text": "改写：" + (found.group(1).strip() if found else "")}
