from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import StaffProfile


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    max_num = 1
    fieldsets = [
        (None, {"fields": ["language"]}),
        (
            _("Signature on official documents"),
            {"fields": ["signature_name", "position", "rank", "nip"]},
        ),
        (
            _("Scope: the part of the registry this user works on"),
            {
                "fields": ["scope_kecamatan", "scope_kelurahan", "scope_segments"],
                "description": _(
                    "Empty = the whole registry. Districts and urban villages add up to one "
                    "area; with groups as well, the user sees the workers of those groups "
                    "within the area. Also: python manage.py scope_user USERNAME "
                    "(--area CODE[,CODE…] | --group SEGMENT_CODE | --clear)."
                ),
            },
        ),
    ]
    filter_horizontal = ["scope_kecamatan", "scope_kelurahan", "scope_segments"]


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
