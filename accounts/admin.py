from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.models import StaffProfile


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    max_num = 1


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Django's user admin with the staff profile (the language the user sees Siaga in)."""

    inlines = [StaffProfileInline]

    def get_inlines(self, request, obj):
        # The add form stays Django's two-step one (username, password); the profile comes
        # with the user's page.
        return self.inlines if obj is not None else []
