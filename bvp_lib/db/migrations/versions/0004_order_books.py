"""order books: the portfolio's day-ahead orders and what the auction accepted

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 11:30:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_books',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False, comment='local delivery day'),
    sa.Column('portfolio', sa.String(length=80), nullable=False),
    sa.Column('rules', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('meta', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_books')),
    sa.UniqueConstraint('day', 'portfolio', name=op.f('uq_order_books_day'))
    )
    op.create_table('order_points',
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('order_name', sa.String(length=160), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('point', sa.Integer(), nullable=False, comment='position in the curve, rising price'),
    sa.Column('price_eur_mwh', sa.Float(), nullable=False),
    sa.Column('volume_mw', sa.Float(), nullable=False, comment='sold positive, bought negative'),
    sa.ForeignKeyConstraint(['book_id'], ['order_books.id'], name=op.f('fk_order_points_book_id_order_books'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('book_id', 'order_name', 'period_start', 'point', name=op.f('pk_order_points'))
    )
    op.create_table('order_accepted',
    sa.Column('book_id', sa.Integer(), nullable=False),
    sa.Column('order_name', sa.String(length=160), nullable=False),
    sa.Column('period_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('clearing_price_eur_mwh', sa.Float(), nullable=False),
    sa.Column('volume_mw', sa.Float(), nullable=False, comment='accepted, sold positive'),
    sa.Column('imbalance_mw', sa.Float(), nullable=True, comment='accepted - delivered'),
    sa.ForeignKeyConstraint(['book_id'], ['order_books.id'], name=op.f('fk_order_accepted_book_id_order_books'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('book_id', 'order_name', 'period_start', name=op.f('pk_order_accepted'))
    )


def downgrade() -> None:
    op.drop_table('order_accepted')
    op.drop_table('order_points')
    op.drop_table('order_books')
