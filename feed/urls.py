from django.urls import path

app_name = "feed"
urlpatterns: list = []
