"""outbox claimed_by: which process claimed a row (host:pid:token), for safe recovery on SQLite

Rows claimed before this migration get "", which the sender reads as "claimed by the one
sender SQLite had before" (see reflector.outbox.sender._requeue_abandoned).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:46:03.881767
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "claimed_by",
                sqlmodel.sql.sqltypes.AutoString(),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
