"""The official documents generated for a program year or an invoice, listed on its own admin
page (the batch page has its inline): ``{% generated_documents year=original %}`` or
``{% generated_documents invoice=original %}``."""

from django import template
from django.urls import reverse

from ..models import GeneratedDocument

register = template.Library()

# Newest first; the year's documents page lists them all.
SHOWN = 20


@register.inclusion_tag("approvals/generated_documents.html", takes_context=True)
def generated_documents(context, year=None, invoice=None):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.has_perm("approvals.generate_documents"):
        return {"show": False}
    records = GeneratedDocument.objects.select_related("generated_by", "batch", "invoice")
    if invoice is not None:
        records = records.filter(invoice=invoice)
        program_year = invoice.program_year
    else:
        records = records.filter(program_year=year)
        program_year = year
    records = records.order_by("-generated_at", "-pk")
    return {
        "show": True,
        "records": records[:SHOWN],
        "total": records.count(),
        "documents_url": reverse("admin:approvals_documents") + f"?year={program_year.year}",
    }
