"""assignments.feedback: what students see of a graded submission (full, scores, after_due)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy): every existing assignment keeps today's full feedback.
    op.add_column('assignments', sa.Column(
        'feedback', sa.Enum('full', 'scores', 'after_due', name='assignmentfeedback',
                            native_enum=False, length=16),
        server_default='full', nullable=False))


def downgrade() -> None:
    op.drop_column('assignments', 'feedback')
