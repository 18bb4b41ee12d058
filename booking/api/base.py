"""What every API view shares: the tenant of the host, JSON errors, rate limits,
pagination, the credentials each kind of endpoint accepts, and schema helpers."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import generics, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from ..models import ApiKey
from .authentication import ApiKeyAuthentication, PersonalTokenAuthentication, SessionAuthentication
from .errors import ApiError, api_exception_handler
from .serializers import ErrorSerializer
from .throttling import AddressRateThrottle, ApiKeyRateThrottle


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class IsTenantApiKey(permissions.BasePermission):
    message = ApiError.messages["tenant_key_required"]
    code = "tenant_key_required"

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey)


class IsStudent(permissions.BasePermission):
    message = ApiError.messages["student_required"]
    code = "student_required"

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and not isinstance(request.auth, ApiKey))


class TenantApiMixin:
    """The host's tenant is `self.tenant`; no tenant (platform host) answers 404."""

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    throttle_classes = [AddressRateThrottle, ApiKeyRateThrottle]
    authentication_classes = [ApiKeyAuthentication, PersonalTokenAuthentication, SessionAuthentication]

    def get_exception_handler(self):
        return api_exception_handler

    def initial(self, request, *args, **kwargs):
        self.tenant = getattr(request._request, "tenant", None)
        if self.tenant is None:
            raise ApiError("not_found", status.HTTP_404_NOT_FOUND)
        super().initial(request, *args, **kwargs)

    def permission_denied(self, request, message=None, code=None):
        if request.authenticators and not request.successful_authenticator:
            super().permission_denied(request, message, code)
        raise ApiError(code or "permission_denied", status.HTTP_403_FORBIDDEN)


class PublicView(TenantApiMixin, APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]


class PublicListView(TenantApiMixin, generics.ListAPIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    pagination_class = Pagination


class StudentView(TenantApiMixin, APIView):
    authentication_classes = [PersonalTokenAuthentication, SessionAuthentication, ApiKeyAuthentication]
    permission_classes = [IsStudent]


class StudentListView(TenantApiMixin, generics.ListAPIView):
    authentication_classes = [PersonalTokenAuthentication, SessionAuthentication, ApiKeyAuthentication]
    permission_classes = [IsStudent]
    pagination_class = Pagination


class TenantKeyView(TenantApiMixin, APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsTenantApiKey]

    @property
    def api_key(self):
        return self.request.auth

    @property
    def actor(self):
        """Audit entries name the admin who made the key."""
        return self.request.auth.created_by


class TenantKeyListView(TenantKeyView, generics.ListAPIView):
    pagination_class = Pagination


def errors(*codes):
    """Schema responses for the error statuses an operation may answer."""
    descriptions = {
        400: "Malformed request (bad JSON or query parameter)",
        401: "No or an invalid credential",
        403: "Not allowed",
        404: "Not found on this tenant",
        409: "Conflict (full session, taken slot)",
        422: "Invalid values; see `fields`",
        429: "Too many requests; see Retry-After",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in codes}


PUBLIC_ERRORS = (400, 404, 429)
AUTH_ERRORS = (400, 401, 403, 404, 429)
WRITE_ERRORS = AUTH_ERRORS + (422,)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Retry-safe writes: the same key and body return the first answer (kept 24 hours).")

RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}}}
