"""Storage adapters: Django's unit of work and the stores on its database, the sample
stores, and the sample store's upkeep."""

from __future__ import annotations

from entrypoints import credentials
from entrypoints.settings import Settings
from ports.samples import Maintainable
from services.sample_maintenance import MaintenancePolicy, SampleMaintenance


def setup_database(s: Settings) -> None:
    """Configure Django and run ``django.setup()``: once per process, here only."""
    from adapters.django_orm import setup_django

    setup_django(credentials.django_database_url(s), data_dir=s.data_dir)


def django_uow(s: Settings):
    setup_database(s)
    from adapters.django_orm.unit_of_work import DjangoUnitOfWorkRunner  # models need setup first

    return DjangoUnitOfWorkRunner()


def django_runbooks(runner):
    from adapters.django_orm.remediation.catalogue import DjangoRunbookCatalogue  # after Django is set up

    return DjangoRunbookCatalogue(runner)


def django_postmortems(runner):
    """Postmortems on the Django runner's pool and database, so the API and the Temporal
    worker (separate processes) share them; ``runner`` set Django up already."""
    from adapters.django_orm.incidents.postmortems import DjangoPostmortemStore

    return DjangoPostmortemStore(runner)


def sqlite_samples(s: Settings):
    from adapters.sqlite_store import SqliteSampleStore  # imported only when chosen

    return SqliteSampleStore(s.data_dir / "samples.db")


def postgres_samples(s: Settings):
    from adapters.postgres import PostgresSampleStore  # psycopg and numpy only when chosen

    return PostgresSampleStore(credentials.samples_database_url(s), flush_interval_s=s.samples_flush_interval_s,
                               series_cache=s.writer_series_cache)


def sample_maintenance(s: Settings, store, clock) -> SampleMaintenance | None:
    """Retention and compaction for the writer to run; None when switched off or when
    the selected store keeps no upkeep (not ``ports.samples.Maintainable``)."""
    if not s.samples_maintenance or not isinstance(store, Maintainable):
        return None
    policy = MaintenancePolicy(
        retention_ms=s.samples_retention_days * 24 * 3600 * 1000,
        compact_after_ms=s.samples_compact_after_s * 1000,
        interval_s=s.samples_maintenance_interval_s,
    )
    return SampleMaintenance(store, clock, policy)
