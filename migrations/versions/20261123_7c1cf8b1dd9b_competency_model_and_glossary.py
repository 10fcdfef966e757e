"""Competency model (levels, areas, competencies) and the glossary.

Revision ID: 7c1cf8b1dd9b
Revises: f4e396aa011c
Create Date: 2026-11-23 10:12:40.604706
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "7c1cf8b1dd9b"
down_revision: str | None = "f4e396aa011c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "competency_areas",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("archived_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competency_areas")),
        sa.UniqueConstraint("code", name=op.f("uq_competency_areas_code")),
    )
    op.create_table(
        "competency_levels",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_competency_levels")),
    )
    op.create_table(
        "glossary_terms",
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("term", sa.JSON(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("archived_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_terms")),
        sa.UniqueConstraint("slug", name=op.f("uq_glossary_terms_slug")),
    )
    op.create_table(
        "competencies",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("description", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("archived_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"],
            ["competency_areas.id"],
            name=op.f("fk_competencies_area_id_competency_areas"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competencies")),
        sa.UniqueConstraint("code", name=op.f("uq_competencies_code")),
    )
    with op.batch_alter_table("competencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_competencies_area_id"), ["area_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("competencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competencies_area_id"))

    op.drop_table("competencies")
    op.drop_table("glossary_terms")
    op.drop_table("competency_levels")
    op.drop_table("competency_areas")
