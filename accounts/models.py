"""What Siaga keeps about a member of staff beyond Django's user: their chosen language, how
they sign official documents (name, position, rank, NIP) and the part of the registry they
work on (their scope: kelurahan, kecamatan or partner group; accounts/scoping.py)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("user"),
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("The language of Siaga's pages for this user."),
    )
    # Signature blocks of official documents (issue 15): as written under the signature.
    signature_name = models.CharField(
        _("name for signatures"),
        max_length=150,
        blank=True,
        help_text=_("Full name with titles, as written under a signature."),
    )
    position = models.CharField(_("position (jabatan)"), max_length=150, blank=True)
    rank = models.CharField(
        _("rank (pangkat/golongan)"), max_length=100, blank=True, help_text=_("E.g. Pembina, IV/a.")
    )
    nip = models.CharField(
        _("NIP"),
        max_length=18,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{18}$", _("A NIP is 18 digits."), code="nip_format")],
        help_text=_("18-digit civil servant number (Nomor Induk Pegawai)."),
    )

    # Scope (issue 16): a user limited to an area (kelurahan, kecamatan) or a partner group
    # sees and changes only the workers there. Nothing chosen = the whole registry.
    scope_kecamatan = models.ManyToManyField(
        "participants.Kecamatan",
        blank=True,
        related_name="+",
        verbose_name=_("scope: districts (kecamatan)"),
        help_text=_("The user sees only workers living in these districts."),
    )
    scope_kelurahan = models.ManyToManyField(
        "participants.Kelurahan",
        blank=True,
        related_name="+",
        verbose_name=_("scope: urban villages (kelurahan)"),
        help_text=_("The user sees only workers living in these urban villages."),
    )
    scope_segments = models.ManyToManyField(
        "participants.Segment",
        blank=True,
        related_name="+",
        verbose_name=_("scope: partner groups (segments)"),
        help_text=_(
            "The user sees only workers of these groups. Leave the three scope fields empty "
            "for staff who see the whole registry."
        ),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)

    @classmethod
    def language_of(cls, user) -> str:
        language = cls.objects.filter(user=user).values_list("language", flat=True).first()
        return language or settings.LANGUAGE_CODE
