"""Pydantic I/O for the assistant's API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class KnowledgeBaseCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    scope: Literal["public", "org"] = "org"
    org_id: int | None = Field(default=None, description="Owner (office only; members always own their KB).")


class KnowledgeBaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    scope: str
    org_id: int | None
    n_passages: int
    indexed_at: datetime | None
    created_at: datetime


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kb_id: int
    filename: str
    sha256: str
    size: int
    n_passages: int
    created_at: datetime
    updated_at: datetime


class SearchIn(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=5, ge=1, le=50)
    kb_ids: list[int] | None = Field(default=None, description="Limit to these knowledge bases (default: all visible).")


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=5, ge=1, le=20)
    kb_ids: list[int] | None = None
    context: str | None = Field(default=None, max_length=2000,
                                description="The previous question, so a short follow-up keeps its context.")


class HitRead(BaseModel):
    kb_id: int
    kb_name: str
    rank: int
    source: str
    article: str
    text: str
    score: float
    title: str
    chapter: str
    page: int = 0


class CitationRead(BaseModel):
    kb_id: int
    source: str
    article: str
    text: str
    highlighted: str
    title: str
    page: int = 0


class PointRead(BaseModel):
    text: str
    citation: int = Field(description="1-based index into citations")


class AnswerRead(BaseModel):
    question: str
    answer: str
    language: str = "zh"
    points: list[PointRead] = []
    mode: str
    covered: bool
    model: str | None
    citations: list[CitationRead]
    warnings: list[str]


class ArticleRead(BaseModel):
    kb_id: int
    source: str
    article: str
    title: str
    chapter: str
    text: str


class ChatRead(BaseModel):
    """One entry of the caller's chat history (the answer as it was shown)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    question: str
    context: str
    language: str
    covered: bool
