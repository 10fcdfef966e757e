"""Courses keep their trainers' methodological notes.

Revision ID: edeeb57f133a
Revises: 7c1cf8b1dd9b
Create Date: 2026-11-23 10:33:56.819751
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db


revision: str = 'edeeb57f133a'
down_revision: str | None = '7c1cf8b1dd9b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing courses get an empty mapping; the next `klasteris content sync` fills it in.
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trainer_notes", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

def downgrade() -> None:
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_column("trainer_notes")

