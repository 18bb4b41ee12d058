"""Every API error is JSON `{"code", "message"}` (+ `fields` for invalid input),
with the status a client can act on:

400 a malformed request (unreadable JSON, a bad query parameter), 401 no or a bad
credential, 403 not allowed (wrong kind of credential, whitelist, CSRF), 404 no such
thing on this tenant, 409 a conflict (a full session, a taken slot, an idempotency key
still in use), 422 a well-formed body with invalid values, 429 too many requests
(with `Retry-After`).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import BookingError

# BookingError codes whose HTTP status is not 422.
BOOKING_ERROR_STATUS = {
    "full": status.HTTP_409_CONFLICT,
    "slot_taken": status.HTTP_409_CONFLICT,
    "whitelist_only": status.HTTP_403_FORBIDDEN,
    "participant_not_whitelisted": status.HTTP_403_FORBIDDEN,
    "email_unverified": status.HTTP_403_FORBIDDEN,
    "override_not_allowed": status.HTTP_403_FORBIDDEN,
    "session_not_found": status.HTTP_404_NOT_FOUND,
    "participant_not_found": status.HTTP_404_NOT_FOUND,
    "token_invalid": status.HTTP_403_FORBIDDEN,
}


class ApiError(exceptions.APIException):
    """A refusal of the API itself (not of a booking rule)."""

    messages = {
        "not_found": _("Nothing here: check the address and the id."),
        "invalid": _("Some values are not valid; see “fields”."),
        "bad_parameter": _("A query parameter is not valid; see “fields”."),
        "malformed": _("The request body could not be read: %(reason)s"),
        "not_authenticated": _("Sign in, or send “Authorization: Bearer <key>”."),
        "key_invalid": _("This API key is not valid on this site (wrong, revoked or of another school)."),
        "token_invalid": _("This personal token is not valid on this site (wrong or revoked)."),
        "tenant_key_required": _("This endpoint needs the school's API key."),
        "student_required": _("This endpoint is for a signed-in student (session or personal token)."),
        "session_auth_required": _("Make personal tokens from a signed-in browser session."),
        "rate_limited": _("Too many requests. Try again in %(wait)s seconds."),
        "idempotency_key_invalid": _("An Idempotency-Key must be 1 to 255 printable characters."),
        "idempotency_key_reused": _("This Idempotency-Key was already used with a different request. "
                                    "Use a new key for a new request."),
        "event_type_in_use": _("This event type has bookings, so it cannot be deleted. Unpublish it instead."),
        "not_a_teacher": _("No active teacher of this school has this id."),
        "method_not_allowed": _("Method “%(method)s” is not allowed here."),
        "unsupported_media_type": _("Send the body as application/json."),
        "not_acceptable": _("This endpoint answers application/json."),
        "permission_denied": _("You may not do this."),
        "not_payable": _("This booking does not need a payment."),
    }

    def __init__(self, code, http_status=status.HTTP_400_BAD_REQUEST, fields=None, **params):
        self.code = code
        self.status_code = http_status
        self.fields = fields
        self.params = params
        super().__init__(detail=self.message, code=code)

    @property
    def message(self):
        text = self.messages[self.code]
        return str(text % self.params) if self.params else str(text)


def error_body(code, message, fields=None):
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return body


def _field_errors(detail):
    """DRF ValidationError detail as {field: [messages]} (nested fields joined with dots)."""
    if isinstance(detail, dict):
        result = {}
        for name, value in detail.items():
            nested = _field_errors(value)
            if isinstance(value, dict):
                for sub, messages in nested.items():
                    key = str(name) if sub == "non_field_errors" else f"{name}.{sub}"
                    result.setdefault(key, []).extend(messages)
            else:
                result[str(name)] = nested.get("non_field_errors", [])
        return result
    if isinstance(detail, list):
        messages = []
        for item in detail:
            if isinstance(item, (dict, list)):
                for sub_messages in _field_errors(item).values():
                    messages.extend(sub_messages)
            else:
                messages.append(str(item))
        return {"non_field_errors": messages}
    return {"non_field_errors": [str(detail)]}


def booking_error_response(error):
    return Response(error_body(error.code, error.message),
                    status=BOOKING_ERROR_STATUS.get(error.code, status.HTTP_422_UNPROCESSABLE_ENTITY))


def api_exception_handler(exc, context):
    if isinstance(exc, BookingError):
        return booking_error_response(exc)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        error = ApiError("invalid", status.HTTP_422_UNPROCESSABLE_ENTITY)
        return Response(error_body("invalid", error.message, fields), status=422)
    if isinstance(exc, Http404):
        exc = ApiError("not_found", status.HTTP_404_NOT_FOUND)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = ApiError("permission_denied", status.HTTP_403_FORBIDDEN)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        response.data = error_body(exc.code, exc.message, exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        response.data = error_body("invalid", ApiError("invalid").message, _field_errors(exc.detail))
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body("malformed", ApiError("malformed", reason=exc.detail).message)
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = error_body("not_authenticated", ApiError("not_authenticated").message)
    elif isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        response["Retry-After"] = str(wait)
        response.data = error_body("rate_limited", ApiError("rate_limited", wait=wait).message)
    elif isinstance(exc, exceptions.MethodNotAllowed):
        response.data = error_body("method_not_allowed",
                                   ApiError("method_not_allowed", method=context["request"].method).message)
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        response.data = error_body("unsupported_media_type", ApiError("unsupported_media_type").message)
    elif isinstance(exc, exceptions.NotAcceptable):
        response.data = error_body("not_acceptable", ApiError("not_acceptable").message)
    elif isinstance(exc, exceptions.NotFound):
        response.data = error_body("not_found", ApiError("not_found").message)
    elif isinstance(exc, exceptions.PermissionDenied):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "permission_denied"
        response.data = error_body(code, exc.detail)
    else:
        response.data = error_body(getattr(exc, "default_code", "error"), exc.detail)
    return response
