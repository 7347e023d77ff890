from django.urls import path

from . import views

urlpatterns = [path("api/v1/polls/<str:poll_id>/votes", views.vote)]
