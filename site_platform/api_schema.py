def only_public_api(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: the schema documents our /api/ only,
    not Wagtail's internal admin API."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
