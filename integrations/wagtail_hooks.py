from wagtail import hooks

from .calendars.admin import CalendarFeedViewSet


@hooks.register("register_admin_viewset")
def register_calendar_feed_viewset():
    return CalendarFeedViewSet("calendar_feeds")
from .immersio import admin as immersio_admin  # noqa: F401
