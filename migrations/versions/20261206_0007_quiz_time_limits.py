"""Quiz time limits: quizzes.time_limit_minutes, student_exceptions.extra_minutes (extra time)
and attempts.deadline_at (fixed when the attempt starts)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 04:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

import quizsvc.models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_limit_minutes', sa.Integer(), nullable=True))
    with op.batch_alter_table('student_exceptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra_minutes', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('deadline_at')
    with op.batch_alter_table('student_exceptions', schema=None) as batch_op:
        batch_op.drop_column('extra_minutes')
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('time_limit_minutes')
