from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from hotline.accounts.models import User


class StaffAdmin(UserAdmin):  # type: ignore[type-arg]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Role", {"fields": ("role",)}))
    list_display = ("username", "role", "is_active", "is_staff", "last_login")
    list_filter = ("role", "is_active", "is_staff")


admin.site.register(User, StaffAdmin)
