"""e-mail reminders: users' addresses, reminders sent (one per user, quarter and reminder)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_emails',
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user', sa.String(length=256), nullable=False),
    sa.Column('quarter', sa.String(length=6), nullable=False),
    sa.Column('reminder', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    # the guarantee of « never sent twice »: a second run's (or a concurrent one's) claim fails on it
    sa.UniqueConstraint('user', 'quarter', 'reminder', name='uq_reminders_sent_key')
    )
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_sent_quarter'), ['quarter'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_sent_quarter'))
    op.drop_table('reminders_sent')
    op.drop_table('user_emails')
