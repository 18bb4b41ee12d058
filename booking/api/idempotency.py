"""`Idempotency-Key` on writes: the same key with the same request gives back the
first answer and changes nothing; the same key with another request is refused (422).

The record (tenant, caller, key) is inserted in the transaction that runs the write
and keeps its answer, so a concurrent retry waits on the unique index until the first
one commits, then replays it. Refusals (4xx) and failures roll the record back with
the write: retrying such a request runs it again. Records are kept for
API_IDEMPOTENCY_RETENTION_HOURS (default 24); an older record no longer binds its key,
and the periodic task `booking.api.tasks.purge_idempotency_records` deletes it.
"""

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response

from ..models import IdempotencyRecord
from .authentication import principal_of
from .errors import ApiError

HEADER = "Idempotency-Key"
DEFAULT_RETENTION_HOURS = 24


def retention():
    """How long a record binds its key (setting API_IDEMPOTENCY_RETENTION_HOURS)."""
    return timedelta(hours=float(getattr(settings, "API_IDEMPOTENCY_RETENTION_HOURS", DEFAULT_RETENTION_HOURS)))


def request_hash(request):
    try:
        body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    except (TypeError, ValueError):
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(record):
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(method):
    """Decorate a DRF view's post/patch/put/delete handler."""

    @wraps(method)
    def handler(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return method(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > 255 or not key.isprintable():
            raise ApiError("idempotency_key_invalid", status.HTTP_400_BAD_REQUEST)
        tenant = request._request.tenant
        # A view may name its caller itself (a participant's manage link has no account).
        own = getattr(view, "idempotency_principal", None)
        principal = (own(request) if own else principal_of(request)) or "anonymous"
        digest = request_hash(request)
        with transaction.atomic():
            IdempotencyRecord.objects.filter(tenant=tenant, principal=principal, key=key,
                                             created_at__lt=timezone.now() - retention()).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(tenant=tenant, principal=principal, key=key,
                                                              request_hash=digest)
            except IntegrityError:
                record = None
            if record is None:
                existing = IdempotencyRecord.objects.get(tenant=tenant, principal=principal, key=key)
                if existing.request_hash != digest:
                    raise ApiError("idempotency_key_reused", status.HTTP_422_UNPROCESSABLE_ENTITY)
                return _replay(existing)
            response = method(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.response_body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
            record.save(update_fields=["status_code", "response_body"])
        return response

    return handler
