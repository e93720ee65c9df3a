"""item_regrades: the record of each quiz item regrade; score_overrides: staff's manual scores;
student_exceptions: one student's own close/due dates and extra tries; courses.timezone

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 03:00:00.000000
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import quizsvc.models.base

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('item_regrades',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('points', sa.Double(), nullable=False),
    sa.Column('config', _JSON, nullable=False),
    sa.Column('attempts_changed', sa.Integer(), nullable=False),
    sa.Column('total_change', sa.Double(), nullable=False),
    sa.Column('changes', _JSON, nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_item_regrades_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_regrades_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_item_regrades_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_regrades'))
    )
    with op.batch_alter_table('item_regrades', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_regrades_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_regrades_quiz_id'), ['quiz_id'], unique=False)

    op.create_table('score_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('old_score', sa.Double(), nullable=True),
    sa.Column('new_score', sa.Double(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.CheckConstraint('(response_id IS NULL) <> (submission_id IS NULL)', name=op.f('ck_score_overrides_one_target')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_score_overrides_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_score_overrides_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_score_overrides_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_overrides'))
    )
    with op.batch_alter_table('score_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_overrides_response_id'), ['response_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_overrides_submission_id'), ['submission_id'], unique=False)


    op.create_table('student_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=True),
    sa.Column('assignment_id', sa.Integer(), nullable=True),
    sa.Column('due_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closes_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extra', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(quiz_id IS NULL) <> (assignment_id IS NULL)', name=op.f('ck_student_exceptions_one_target')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_student_exceptions_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_student_exceptions_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_student_exceptions_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_student_exceptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_exceptions')),
    sa.UniqueConstraint('assignment_id', 'user_id', name=op.f('uq_student_exceptions_assignment_id')),
    sa.UniqueConstraint('quiz_id', 'user_id', name=op.f('uq_student_exceptions_quiz_id'))
    )
    with op.batch_alter_table('student_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_exceptions_user_id'), ['user_id'], unique=False)


    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='Asia/Seoul', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('timezone')
    with op.batch_alter_table('student_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_exceptions_user_id'))
    op.drop_table('student_exceptions')
    with op.batch_alter_table('score_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_overrides_submission_id'))
        batch_op.drop_index(batch_op.f('ix_score_overrides_response_id'))
    op.drop_table('score_overrides')
    with op.batch_alter_table('item_regrades', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_regrades_quiz_id'))
        batch_op.drop_index(batch_op.f('ix_item_regrades_item_id'))
    op.drop_table('item_regrades')
