"""appraisals: the team's appraisal per plan indicator × territory × quarter

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 02:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appraisals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=64), nullable=False),
    sa.Column('territory', sa.String(length=16), nullable=False),
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('happened', sa.Text(), nullable=False),
    sa.Column('risks', sa.Text(), nullable=False),
    sa.Column('next_actions', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=256), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('indicator', 'territory', 'quarter', name='uq_appraisals_key')
    )
    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appraisals_quarter'), ['quarter'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appraisals_quarter'))
    op.drop_table('appraisals')
