"""submissions: index (user_id, created_at) for the per-student rate limit

Without it the rate limit's count scans every submission (and, on SQLite, reads each row's
source text to reach created_at) on every code submission.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:10:00.000000
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_user_created', ['user_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_user_created')
