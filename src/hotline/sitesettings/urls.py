from django.urls import path

from hotline.sitesettings import views

app_name = "sitesettings"
urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("categories/", views.categories_page, name="categories"),
    path("contacts/", views.contacts_page, name="contacts"),
]
