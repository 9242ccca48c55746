import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants.models import Worker
from siaga.pagination import EstimatedCountPaginator, estimated_row_count
from tests.factories import WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row estimates are PostgreSQL's")
def test_a_large_unfiltered_list_uses_the_estimate_instead_of_count(admin_client, settings):
    settings.SIAGA_ESTIMATED_COUNT_THRESHOLD = 5
    WorkerFactory.create_batch(8)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE participants_worker")
    assert estimated_row_count(Worker) == 8
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:participants_worker_changelist"))
    assert response.status_code == 200
    assert not [
        q for q in queries if "COUNT(" in q["sql"].upper() and "participants_worker" in q["sql"]
    ]


def test_filtered_lists_count_exactly(settings):
    settings.SIAGA_ESTIMATED_COUNT_THRESHOLD = 0
    WorkerFactory.create_batch(3, worker_type="PU")
    WorkerFactory.create_batch(2, worker_type="BPU")
    assert EstimatedCountPaginator(Worker.objects.filter(worker_type="PU"), 10).count == 3


def test_tables_below_the_threshold_count_exactly(settings):
    settings.SIAGA_ESTIMATED_COUNT_THRESHOLD = 1_000_000
    WorkerFactory.create_batch(5)
    assert EstimatedCountPaginator(Worker.objects.all(), 10).count == 5
