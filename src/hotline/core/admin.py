from django.contrib import admin

from hotline.core.models import EmergencyContact


@admin.register(EmergencyContact)
class EmergencyContactAdmin(admin.ModelAdmin[EmergencyContact]):
    list_display = ["name_en", "name_km", "phone", "position", "active"]
