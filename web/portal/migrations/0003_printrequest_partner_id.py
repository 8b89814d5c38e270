"""A request is the unit of work: its own partner id in the pipeline (its YAML, logo,
PDFs and tracking code). Requests approved before this kept the organisation's id,
which is where their files are: they keep it."""
from django.db import migrations, models


def keep_earlier_ids(apps, schema_editor):
    PrintRequest = apps.get_model("portal", "PrintRequest")
    for req in PrintRequest.objects.filter(status__in=["approved", "built", "failed"]).select_related("organisation"):
        req.partner_id = req.organisation.partner_id
        req.save(update_fields=["partner_id"])


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_audit_append_only")]

    operations = [
        migrations.AddField(model_name="printrequest", name="partner_id",
                            field=models.CharField(blank=True, max_length=40)),
        migrations.RunPython(keep_earlier_ids, migrations.RunPython.noop),
    ]
