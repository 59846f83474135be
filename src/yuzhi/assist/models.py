"""Knowledge bases and their documents.

A knowledge base is either **public** (national and provincial regulations, managed by the
programme office, readable by every user) or owned by **one organisation** (its SOPs and
manuals, visible only to that organisation and the office). Files and the search index live on
disk under ``<home>/assist/kb-<id>/``; the database holds what exists and who may see it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
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
