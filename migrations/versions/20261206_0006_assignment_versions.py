"""assignment_versions: each imported package of an assignment (its .zip and check report);
assignments.version_id (the version students are graded with); submissions.graded_version

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 04:00:00.000000
"""
import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import quizsvc.models.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_FK = 'fk_assignments_version_id_assignment_versions'


def _sqlite_rewrite_assignments(bind: sa.engine.Connection, change) -> None:  # type: ignore[no-untyped-def]
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'assignments'").scalar_one()
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar_one()
    bind.exec_driver_sql('PRAGMA writable_schema = ON')
    bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'assignments'",
                         (change(sql),))
    bind.exec_driver_sql(f'PRAGMA schema_version = {int(version) + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema = OFF')


_SQLITE_FK = rf',\s*CONSTRAINT {_FK} FOREIGN KEY\(version_id\) REFERENCES assignment_versions \(id\) ON DELETE SET NULL'


def _sqlite_add_version_id(bind: sa.engine.Connection) -> None:
    """A batch copy of assignments would drop the old table, and with foreign keys on, that
    deletes every submission (ON DELETE CASCADE). So: a plain ADD COLUMN, then the foreign key
    written into the stored schema, as SQLite's documentation describes for changes that leave
    the stored rows as they are (https://sqlite.org/lang_altertable.html, "otheralter")."""
    op.execute('ALTER TABLE assignments ADD COLUMN version_id INTEGER')

    def add_fk(sql: str) -> str:
        body = sql.rstrip().removesuffix(')').rstrip()
        return (f'{body}, \n\tCONSTRAINT {_FK} FOREIGN KEY(version_id) REFERENCES assignment_versions (id) '
                'ON DELETE SET NULL\n)')

    _sqlite_rewrite_assignments(bind, add_fk)


def upgrade() -> None:
    op.create_table('assignment_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('package', sa.LargeBinary(), nullable=False),
    sa.Column('report', _JSON, nullable=False),
    sa.Column('created_at', quizsvc.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_assignment_versions_assignment_id_assignments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assignment_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_versions')),
    sa.UniqueConstraint('assignment_id', 'digest', name=op.f('uq_assignment_versions_assignment_id')),
    sa.UniqueConstraint('assignment_id', 'number', name='uq_assignment_versions_assignment_id_number')
    )
    with op.batch_alter_table('assignment_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_versions_digest'), ['digest'], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        _sqlite_add_version_id(bind)
    else:
        op.add_column('assignments', sa.Column('version_id', sa.Integer(), nullable=True))
        op.create_foreign_key(_FK, 'assignments', 'assignment_versions', ['version_id'], ['id'],
                              ondelete='SET NULL')
    op.add_column('submissions', sa.Column('graded_version', sa.String(length=64), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of submissions would delete its score overrides.
    op.drop_column('submissions', 'graded_version')
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        # SQLite cannot drop a column that is in a foreign key, and a batch copy would delete
        # the submissions (see upgrade): the constraint leaves the stored schema first.
        _sqlite_rewrite_assignments(bind, lambda sql: re.sub(_SQLITE_FK, '', sql))
        op.execute('ALTER TABLE assignments DROP COLUMN version_id')
    else:
        op.drop_constraint(_FK, 'assignments', type_='foreignkey')
        op.drop_column('assignments', 'version_id')
    with op.batch_alter_table('assignment_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_versions_digest'))
    op.drop_table('assignment_versions')
