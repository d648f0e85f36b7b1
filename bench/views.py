"""The baseline the bench measures the service against.

A bare Django view on the same server, through the same middleware, that does
exactly one INSERT (a raw cursor into a small table the bench creates, no
model or migration) and answers 201 with JSON. Served only under
ROOT_URLCONF=bench.urls, which the bench's own gunicorn uses.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TABLE = "bench_bare_insert"
CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_bare_insert ("
    " id bigserial PRIMARY KEY,"
    " received_at timestamptz NOT NULL DEFAULT now(),"
    " body_bytes integer NOT NULL)"
)
_INSERT = "INSERT INTO bench_bare_insert (body_bytes) VALUES (%s) RETURNING id"


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [len(request.body)])
        row = cursor.fetchone()
    return JsonResponse({"id": row[0] if row else None}, status=201)
