"""Optional language models: any OpenAI-compatible endpoint, or a local GGUF via llama-cpp-python.

Plants run Qwen/DeepSeek behind vLLM, Ollama, llama.cpp's server or Xinference, all of which
speak the OpenAI ``/v1/chat/completions`` protocol, so one small httpx client covers them. A
local GGUF file runs in-process through the optional extra ``pip install yuzhi[llm]``.

Configuration (environment, or the CLI options that override it)::

    YUZHI_ASSIST_LLM_URL=http://10.0.0.5:8000/v1   YUZHI_ASSIST_LLM_MODEL=qwen2.5-7b-instruct
    YUZHI_ASSIST_LLM_API_KEY=...                   YUZHI_ASSIST_LLM_TIMEOUT=60
    YUZHI_ASSIST_GGUF=/models/qwen2.5-1.5b-instruct-q4_k_m.gguf

With none of them set, the assistant answers extractively (no model at all).
"""

from __future__ import annotations

from typing import Protocol

from pydantic_settings import BaseSettings, SettingsConfigDict

from yuzhi.errors import InvalidInput


class LLMUnavailable(Exception):
    """The configured model could not be reached or failed; the caller falls back to extractive."""


class LLM(Protocol):
    name: str

    def complete(self, messages: list[dict[str, str]]) -> str:
        """Return the assistant message for a chat."""
        ...


class AssistSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YUZHI_ASSIST_", extra="ignore")

    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0
    gguf: str = ""


class OpenAICompatibleLLM:
    """Chat completions over HTTP (``POST {base_url}/chat/completions``).

    Parameters
    ----------
    base_url : str
        E.g. ``http://127.0.0.1:8000/v1``.
    model : str
        Model name the server expects.
    api_key : str, optional
        Sent as ``Authorization: Bearer …`` when given.
    timeout : float
        Seconds.
    """

    def __init__(self, base_url: str, model: str, *, api_key: str = "", timeout: float = 60.0) -> None:
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.name = f"openai-compatible:{model}"

    def complete(self, messages: list[dict[str, str]]) -> str:
        import httpx

        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        url = self.base_url.rstrip("/") + "/chat/completions"
        body = {"model": self.model, "messages": messages, "temperature": 0.0, "stream": False}
        try:
            r = httpx.post(url, json=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise LLMUnavailable(f"cannot reach {url}: {exc}") from exc
        if r.status_code != 200:
            raise LLMUnavailable(f"{url} answered HTTP {r.status_code}: {r.text[:200]}")
        try:
            return str(r.json()["choices"][0]["message"]["content"] or "")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LLMUnavailable(f"{url} returned an unexpected body: {r.text[:200]}") from exc


class LlamaCppLLM:
    """A local GGUF model through llama-cpp-python (optional extra ``yuzhi[llm]``)."""

    def __init__(self, model_path: str, *, n_ctx: int = 4096, n_threads: int | None = None) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise InvalidInput(
                "a GGUF model was configured but llama-cpp-python is not installed.",
                field="gguf",
                fix="pip install 'yuzhi[llm]' (or llama-cpp-python), or unset YUZHI_ASSIST_GGUF.",
            ) from exc
        from pathlib import Path

        if not Path(model_path).is_file():
            raise InvalidInput(f"GGUF model file {model_path} not found.", field="gguf",
                               fix="Point --gguf / YUZHI_ASSIST_GGUF at a .gguf file.")
        self._llm = Llama(model_path=model_path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)
        self.name = f"gguf:{Path(model_path).name}"

    def complete(self, messages: list[dict[str, str]]) -> str:
        try:
            out = self._llm.create_chat_completion(messages=messages, temperature=0.0)
            return str(out["choices"][0]["message"]["content"] or "")
        except Exception as exc:  # llama.cpp raises plain exceptions (context overflow, …)
            raise LLMUnavailable(f"local model failed: {exc}") from exc


def from_settings(
    *,
    llm_url: str | None = None,
    llm_model: str | None = None,
    llm_api_key: str | None = None,
    gguf: str | None = None,
    settings: AssistSettings | None = None,
) -> LLM | None:
    """Build the configured model (explicit arguments win over the environment), or None."""
    s = settings or AssistSettings()
    url = llm_url if llm_url is not None else s.llm_url
    path = gguf if gguf is not None else s.gguf
    if url:
        model = llm_model if llm_model is not None else s.llm_model
        if not model:
            raise InvalidInput("an LLM endpoint was given without a model name.", field="llm_model",
                               fix="Pass --llm-model or set YUZHI_ASSIST_LLM_MODEL.")
        key = llm_api_key if llm_api_key is not None else s.llm_api_key
        return OpenAICompatibleLLM(url, model, api_key=key, timeout=s.llm_timeout)
    if path:
        return LlamaCppLLM(path)
    return None
