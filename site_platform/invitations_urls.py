from django.urls import path

from .invitations_views import InvitationView

urlpatterns = [
    path("<str:token>/", InvitationView.as_view(), name="team_invitation"),
]
