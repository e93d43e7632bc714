"""one open submission per scope and quarter; who entered each submitted value

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.String(length=512), nullable=False, server_default=''))
    with op.batch_alter_table('submission_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by', sa.Text(), nullable=False, server_default=''))
    # Submissions still open from before keep distinct keys (their id): the index only binds new ones.
    op.execute("UPDATE submissions SET scope = 'ancienne-' || CAST(id AS VARCHAR(16)) WHERE status = 'submitted'")
    op.execute("UPDATE submission_items SET entered_by = (SELECT author FROM submissions "
               "WHERE submissions.id = submission_items.submission_id)")
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.alter_column('scope', server_default=None)
        batch_op.create_index('uq_submissions_open_scope', ['quarter', 'scope'], unique=True,
                              sqlite_where=sa.text("status = 'submitted'"),
                              postgresql_where=sa.text("status = 'submitted'"))
    with op.batch_alter_table('submission_items', schema=None) as batch_op:
        batch_op.alter_column('entered_by', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index('uq_submissions_open_scope')
        batch_op.drop_column('scope')
    with op.batch_alter_table('submission_items', schema=None) as batch_op:
        batch_op.drop_column('entered_by')
