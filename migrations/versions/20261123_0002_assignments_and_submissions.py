"""assignments and submissions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:21:53.069107
"""
from alembic import op
import sqlalchemy as sa
import quizsvc.models.base
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('grader', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('opens_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('late_penalty_per_day', sa.Double(), nullable=False),
    sa.Column('closes_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('max_submissions', sa.Integer(), nullable=True),
    sa.Column('score_policy', sa.Enum('best', 'last', name='scorepolicy', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_assignments_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('course_id', 'slug', name=op.f('uq_assignments_course_id'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_course_id'), ['course_id'], unique=False)

    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'graded', 'error', name='submissionstatus', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', quizsvc.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('grade_count', sa.Integer(), nullable=False),
    sa.Column('raw_score', sa.Double(), nullable=True),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('max_score', sa.Double(), nullable=True),
    sa.Column('late_days', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_submissions_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submissions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_assignment_user', ['assignment_id', 'user_id'], unique=False)
        batch_op.create_index('ix_submissions_status', ['status'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_submissions_status')
        batch_op.drop_index('ix_submissions_assignment_user')

    op.drop_table('submissions')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignments_course_id'))

    op.drop_table('assignments')
    
