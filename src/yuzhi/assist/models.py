"""Knowledge bases and their documents.

A knowledge base is either **public** (national and provincial regulations, managed by the
programme office, readable by every user) or owned by **one organisation** (its SOPs and
manuals, visible only to that organisation and the office). Files and the search index live on
disk under ``<home>/assist/kb-<id>/``; the database holds what exists and who may see it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yuzhi.db import Base, IdMixin, TimestampMixin


class KnowledgeBase(IdMixin, TimestampMixin, Base):
    __tablename__ = "assist_knowledge_bases"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'public' AND org_id IS NULL) OR (scope = 'org' AND org_id IS NOT NULL)", name="scope_owner"
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    scope: Mapped[str] = mapped_column(String(16))  # "public" | "org"
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True, default=None)
    n_passages: Mapped[int] = mapped_column(default=0)
    indexed_at: Mapped[datetime | None] = mapped_column(default=None)


class Document(IdMixin, TimestampMixin, Base):
    __tablename__ = "assist_documents"
    __table_args__ = (UniqueConstraint("kb_id", "filename", name="kb_filename"),)

    kb_id: Mapped[int] = mapped_column(ForeignKey("assist_knowledge_bases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    n_passages: Mapped[int] = mapped_column(default=0)


class ChatMessage(IdMixin, TimestampMixin, Base):
    """One question a user asked and the answer they got: their chat history.

    Why stored: a manager comes back to yesterday's answer, and a follow-up ("那罚多少？") needs
    the previous question. The answer is kept as shown (JSON of the answer with its citations),
    so re-opening it does not depend on the index still holding the same articles. Private to
    the user (``user_id``); ``org_id`` records the tenant for the audit trail.
    """

    __tablename__ = "assist_chat_messages"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), default=None)
    question: Mapped[str] = mapped_column(String(2000))
    context: Mapped[str] = mapped_column(String(2000), default="")  # previous question (follow-up)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    covered: Mapped[bool] = mapped_column(default=False)
    answer_json: Mapped[str] = mapped_column(Text, default="{}")
