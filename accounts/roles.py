"""The office's roles as Django groups: what each kind of staff may see and do.

Least privilege (UU 27/2022): Pimpinan see aggregate figures only; only roles whose work needs
full NIKs get ``view_full_nik``; exporting personal data is its own permission.
The README's role table is written from this mapping; ``sync_roles`` applies it.
"""

from __future__ import annotations

OPERATOR = "Operator"
VERIFIKATOR = "Verifikator"
PIMPINAN = "Pimpinan"
ADMINISTRATOR = "Administrator"
KEPALA_BIDANG = "Kepala Bidang"
# Kelurahan staff and partner groups (OPD, communities) who propose candidates (usulan).
PENGUSUL = "Pengusul"

_REGISTRY_READ = [
    "participants.view_kecamatan",
    "participants.view_kelurahan",
    "participants.view_segment",
    "participants.view_worker",
    "participants.view_heir",
]
_PROGRAM_READ = [
    "enrollment.view_programyear",
    "enrollment.view_premiumrate",
    "enrollment.view_quotatarget",
    "enrollment.view_enrollment",
    "enrollment.view_enrollmentevent",
]
# Complaints (pengaduan): received and handled by the front and verification desks.
_COMPLAINTS = [
    "complaints.view_ticket",
    "complaints.add_ticket",
    "complaints.change_ticket",
    "complaints.view_escalation",
    "complaints.view_servicelevel",
]
_DEDUP_READ = [
    "dedup.view_duplicatepair",
    "dedup.view_workeralias",
    "dedup.view_othercover",
]

_PROPOSALS_READ = [
    "proposals.view_proposal",
    "proposals.view_all_proposals",
    "proposals.view_updateround",
]

ROLES: dict[str, list[str]] = {
    # Field and desk staff: keep the registry, import candidate lists, propose enrollments.
    OPERATOR: [
        *_REGISTRY_READ,
        "participants.add_worker",
        "participants.change_worker",
        "participants.add_heir",
        "participants.change_heir",
        "participants.view_full_nik",  # they type NIKs from KTP/KK copies
        "importer.import_workers",
        "importer.view_importjob",
        *_PROGRAM_READ,
        "enrollment.add_enrollment",  # propose (diusulkan)
        "targeting.view_heirfollowup",
        "targeting.import_heirs",
        "targeting.view_targetingrule",
        "targeting.view_proposalbatch",
        "dashboard.view_dashboard",
        # Possible duplicates and other payers' cover: looked at, decided by the Verifikator.
        *_DEDUP_READ,
        *_COMPLAINTS,
        # Proposals from kelurahan and partners (issue 16): entered, reviewed; yearly update.
        *_PROPOSALS_READ,
        "proposals.add_proposal",
        "proposals.review_proposal",
        "proposals.run_yearly_update",
    ],
    # Verification desk: verify/submit/terminate, quota override, BPJS files, DTKS checks.
    VERIFIKATOR: [
        *_REGISTRY_READ,
        "participants.view_full_nik",
        "participants.export_personal_data",  # BPJS registration file, DTKS request list
        "importer.view_importjob",
        *_PROGRAM_READ,
        "enrollment.change_enrollment",
        "enrollment.override_quota",
        "enrollment.manage_bpjs_exchange",
        "enrollment.view_bpjsexport",  # the record of each registration file sent
        "enrollment.view_premiuminvoice",
        "enrollment.add_premiuminvoice",
        "enrollment.change_premiuminvoice",
        "enrollment.view_invoiceline",
        "enrollment.view_claim",
        "enrollment.add_claim",
        "enrollment.change_claim",
        "targeting.view_dtkscheck",
        "targeting.import_dtks_results",
        "targeting.view_heirfollowup",
        "targeting.view_targetingrule",
        "targeting.view_proposalbatch",
        "targeting.view_exportlog",
        "dashboard.view_dashboard",
        # Official documents (issue 15): gather verified enrollments into submission batches.
        "approvals.view_submissionbatch",
        "approvals.add_submissionbatch",
        "approvals.view_batchitem",
        "approvals.view_snapshotrow",
        "approvals.view_decision",
        "approvals.view_generateddocument",
        "approvals.generate_documents",
        # Possible duplicates: scan, decide ("different people") and merge; other payers' lists.
        *_DEDUP_READ,
        "dedup.add_duplicatepair",  # run a scan
        "dedup.change_duplicatepair",  # decide a pair
        "dedup.merge_workers",
        "dedup.import_other_cover",
        *_COMPLAINTS,
        # The outbox to participants: what was sent, what failed (sent again from here).
        "notifications.view_outboxmessage",
        "notifications.change_outboxmessage",
        "notifications.view_messagetemplate",
        *_PROPOSALS_READ,
    ],
    # Head of the office's field (issue 15): approves or returns batches, signs the documents.
    KEPALA_BIDANG: [
        *_REGISTRY_READ,
        "participants.view_full_nik",  # the SK attachment lists full NIKs
        *_PROGRAM_READ,
        "enrollment.view_premiuminvoice",
        "enrollment.view_claim",
        "approvals.view_submissionbatch",
        "approvals.approve_submissionbatch",
        "approvals.view_batchitem",
        "approvals.view_snapshotrow",
        "approvals.view_decision",
        "approvals.view_generateddocument",
        "approvals.generate_documents",
        "dashboard.view_dashboard",
        # Overdue complaints are escalated to the head of office, who may reassign or answer.
        "complaints.view_ticket",
        "complaints.change_ticket",
        "complaints.view_escalation",
        "complaints.view_servicelevel",
    ],
    # A proposer sees and sends only their own proposals (proposals.selectors), in the admin
    # (staff status needed): no registry, no full NIKs of anyone.
    PENGUSUL: [
        "proposals.view_proposal",
        "proposals.add_proposal",
        "participants.view_kelurahan",
        "participants.view_segment",
    ],
    # Kepala Dinas, Wali Kota's office: the dashboard and its reports, no personal data.
    PIMPINAN: ["dashboard.view_dashboard"],
    # Every permission, including purging records (which the audit trail keeps).
    ADMINISTRATOR: ["*"],
}


def sync_roles(apps) -> None:
    """Create the groups and set exactly the permissions above (idempotent)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        if apps is global_apps:
            create_permissions(app_config, verbosity=0)
            continue
        # Historical app configs have no models module; create_permissions skips those.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    # An app whose tables a later migration creates (e.g. approvals) has no permissions yet:
    # skip its entries here; that app's own migration calls sync_roles again.
    migrated_apps = set(ContentType.objects.values_list("app_label", flat=True))
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        if perms == ["*"]:
            group.permissions.set(Permission.objects.all())
            continue
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            if app_label not in migrated_apps:
                continue
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def grant_administrator_everything(sender, using="default", **kwargs) -> None:
    """post_migrate: give the Administrator group the permissions of the app just migrated
    (Django creates them in its own post_migrate handler, which runs first)."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.using(using).filter(name=ADMINISTRATOR).first()
    if group is None:
        return
    group.permissions.add(
        *Permission.objects.using(using).filter(content_type__app_label=sender.label)
    )
