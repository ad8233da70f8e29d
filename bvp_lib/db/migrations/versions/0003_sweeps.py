"""scenario sweeps

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sweeps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('spec', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sweeps')),
    sa.UniqueConstraint('name', name=op.f('uq_sweeps_name'))
    )
    op.create_table('sweep_scenarios',
    sa.Column('sweep_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False, comment='order of the scenario in the grid'),
    sa.Column('grid_values', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['backtest_runs.id'], name=op.f('fk_sweep_scenarios_run_id_backtest_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sweep_id'], ['sweeps.id'], name=op.f('fk_sweep_scenarios_sweep_id_sweeps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sweep_id', 'run_id', name=op.f('pk_sweep_scenarios'))
    )


def downgrade() -> None:
    op.drop_table('sweep_scenarios')
    op.drop_table('sweeps')
