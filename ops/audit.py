"""Verifying the audit trail: every domain row has its creation event, and its current state is
the state its latest event recorded (a change made with the triggers off shows up as a gap)."""

from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models

# Apps whose models are domain tables tracked by django-pghistory.
AUDITED_APPS = ("sources", "claims", "newsroom")


@dataclass
class Gap:
    table: str
    problem: str
    ids: list[int] = field(default_factory=list)


def tracked_models() -> list[tuple[type[models.Model], type[models.Model]]]:
    pairs = []
    for app_label in AUDITED_APPS:
        if not apps.is_installed(app_label):
            continue
        for model in apps.get_app_config(app_label).get_models():
            try:
                event = apps.get_model(app_label, f"{model.__name__}Event")
            except LookupError:
                continue
            pairs.append((model, event))
    return pairs


def _ids(sql: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


def find_gaps(limit: int = 20) -> list[Gap]:
    gaps = []
    qn = connection.ops.quote_name
    for model, event in tracked_models():
        table, etable = qn(model._meta.db_table), qn(event._meta.db_table)
        pk = qn(model._meta.pk.column)
        columns = [
            qn(f.column)
            for f in event._meta.concrete_fields
            if not f.name.startswith("pgh_") and f.column != model._meta.pk.column
        ]
        checks = {
            "rows with no creation event": f"""
                SELECT t.{pk} FROM {table} t WHERE NOT EXISTS (
                    SELECT 1 FROM {etable} e WHERE e.pgh_obj_id = t.{pk} AND e.pgh_label = 'insert')
                ORDER BY 1 LIMIT {limit}""",
            "rows changed without an event": f"""
                SELECT t.{pk} FROM {table} t
                JOIN LATERAL (SELECT * FROM {etable} e WHERE e.pgh_obj_id = t.{pk}
                              ORDER BY e.pgh_id DESC LIMIT 1) last ON true
                WHERE last.pgh_label = 'delete'
                   OR ({", ".join(f"t.{c}" for c in columns)})
                      IS DISTINCT FROM ({", ".join(f"last.{c}" for c in columns)})
                ORDER BY 1 LIMIT {limit}""",
            "rows deleted without an event": f"""
                SELECT DISTINCT e.pgh_obj_id FROM {etable} e
                WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.{pk} = e.pgh_obj_id)
                  AND NOT EXISTS (SELECT 1 FROM {etable} d
                                  WHERE d.pgh_obj_id = e.pgh_obj_id AND d.pgh_label = 'delete')
                ORDER BY 1 LIMIT {limit}""",
        }
        for problem, sql in checks.items():
            ids = _ids(sql)
            if ids:
                gaps.append(Gap(model._meta.db_table, problem, ids))
    return gaps
