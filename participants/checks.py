"""System check: SIAGA_REGION must be a kabupaten/kota code, and a database that already holds
workers of another region is refused (``migrate`` and ``check --database default`` run it;
``manage.py load_region``, which ``make run`` calls, refuses the same way)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError, connections


@register()
def region_is_known(app_configs=None, **kwargs):
    from .regions import RegionError, region

    try:
        region(settings.SIAGA_REGION)
    except RegionError as error:
        return [Error(str(error), id="siaga.E101")]
    return []


@register(Tags.database)
def region_matches_database(app_configs=None, databases=None, **kwargs):
    from .regions import RegionError, region, region_conflict

    try:
        region(settings.SIAGA_REGION)
    except RegionError:
        return []  # region_is_known says it
    errors = []
    for alias in databases or ():
        if alias != "default":
            continue
        try:
            tables = connections[alias].introspection.table_names()
            if "participants_worker" not in tables or "participants_kelurahan" not in tables:
                continue
            problem = region_conflict(settings.SIAGA_REGION)
        except DatabaseError:
            continue  # not migrated yet: migrate loads the region
        if problem:
            errors.append(Error(problem, id="siaga.E102"))
    return errors
