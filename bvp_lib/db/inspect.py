"""What the database holds, as plain Python structures (for `bvp db show` and notebooks)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def summary(engine: Engine | None = None) -> dict:
    """Assets per type, and for every sensor its period covered and row count."""
    from bvp_lib.db.engine import get_engine

    engine = engine or get_engine()
    with engine.connect() as c:
        assets = [
            dict(r._mapping)
            for r in c.execute(
                sa.text(
                    "SELECT a.asset_type_name AS type, count(*) AS assets, count(DISTINCT owner_id) AS owners, "
                    "round(sum(capacity_mw)::numeric, 2) AS capacity_mw FROM assets a GROUP BY 1 ORDER BY 1"
                )
            )
        ]
        series = [
            dict(r._mapping)
            for r in c.execute(
                sa.text(
                    """
                    SELECT CASE WHEN s.asset_id IS NOT NULL THEN 'asset'
                                WHEN s.market_id IS NOT NULL AND s.quantity = 'price' THEN 'market'
                                WHEN s.market_id IS NOT NULL THEN 'system' ELSE 'weather' END AS kind,
                           s.name AS sensor, s.unit, s.event_resolution::text AS resolution,
                           to_char(min(b.event_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS first,
                           to_char(max(b.event_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS last,
                           count(b.value) AS beliefs, count(DISTINCT b.source_id) AS sources
                    FROM sensors s LEFT JOIN timed_beliefs b ON b.sensor_id = s.id
                    GROUP BY s.id ORDER BY 1, 2
                    """
                )
            )
        ]
        total = c.execute(sa.text("SELECT count(*) FROM timed_beliefs")).scalar()
        sessions = c.execute(sa.text("SELECT count(*) FROM charging_sessions")).scalar()
    return {"assets": assets, "series": series, "total_beliefs": total, "sessions": sessions}
