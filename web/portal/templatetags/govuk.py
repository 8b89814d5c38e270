"""GOV.UK Design System markup for Django form fields: {% govuk_field form.name %}."""
from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


def _error(field):
    if not field.errors:
        return "", ""
    html = format_html_join("", '<p id="{}-error" class="govuk-error-message">'
                                '<span class="govuk-visually-hidden">Error:</span> {}</p>',
                            ((field.auto_id, e) for e in field.errors))
    return html, f"{field.auto_id}-error"


def _hint(field, hint):
    text = hint or field.help_text
    if not text:
        return "", ""
    return format_html('<div id="{}-hint" class="govuk-hint">{}</div>', field.auto_id, text), f"{field.auto_id}-hint"


@register.simple_tag
def govuk_field(field, width="", legend_size="s", label_size="s", hint="", **attrs):
    widget = field.field.widget
    error, error_id = _error(field)
    hint_html, hint_id = _hint(field, hint)
    described = " ".join(x for x in (hint_id, error_id) if x)
    group = "govuk-form-group" + (" govuk-form-group--error" if field.errors else "")
    if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        # (CheckboxSelectMultiple is a subclass of RadioSelect)
        kind = "checkboxes" if isinstance(widget, forms.CheckboxSelectMultiple) else "radios"
        items = []
        for option in field:
            extra = option.data["attrs"]
            items.append(format_html(
                '<div class="govuk-{k}__item"><input class="govuk-{k}__input" id="{id}" name="{name}" '
                'type="{type}" value="{value}"{checked}{more}>'
                '<label class="govuk-label govuk-{k}__label" for="{id}">{label}</label></div>',
                k=kind, id=option.id_for_label, name=field.html_name, type=option.data["type"],
                value=option.data["value"], checked=mark_safe(" checked") if extra.get("checked") else "",
                more=mark_safe("".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items() if k != "small")), label=option.choice_label))
        return format_html(
            '<div class="{}"><fieldset class="govuk-fieldset"{}><legend class="govuk-fieldset__legend '
            'govuk-fieldset__legend--{}">{}</legend>{}{}<div class="govuk-{}{}" data-module="govuk-{}">{}</div>'
            '</fieldset></div>',
            group, format_html(' aria-describedby="{}"', described) if described else "", legend_size, field.label,
            hint_html, error, kind, " govuk-checkboxes--small" if kind == "checkboxes" and attrs.get("small") else "",
            kind, mark_safe("".join(items)))
    if isinstance(widget, forms.Textarea):
        css = "govuk-textarea"
    elif isinstance(widget, forms.Select):
        css = "govuk-select"
    elif isinstance(widget, forms.FileInput):
        css = "govuk-file-upload"
    else:
        css = "govuk-input"
    if field.errors:
        css += f" {css}--error"
    if width:
        css += f" govuk-input--width-{width}" if css.startswith("govuk-input") else ""
    widget_attrs = {"class": css, **{k.replace("_", "-"): v for k, v in attrs.items()}}
    if described:
        widget_attrs["aria-describedby"] = described
    if isinstance(widget, forms.EmailInput):
        widget_attrs.update(autocomplete="email", spellcheck="false")
    return format_html('<div class="{}"><label class="govuk-label govuk-label--{}" for="{}">{}</label>{}{}{}</div>',
                       group, label_size, field.id_for_label, field.label, hint_html, error,
                       field.as_widget(attrs=widget_attrs))


@register.inclusion_tag("portal/_error_summary.html")
def govuk_error_summary(form):
    # Each line names its field: "This field is required." three times says nothing.
    items = [(f"#{form[name].id_for_label or form[name].auto_id}", _named(form[name].label, e))
             for name, errors in form.errors.items() if name != "__all__" for e in errors]
    return {"form": form, "items": items, "general": form.non_field_errors()}


def _named(label, error: str) -> str:
    label = str(label or "").rstrip(":")
    return error if not label or error.lower().startswith(label.lower()) else f"{label}: {error}"


@register.simple_tag
def status_tag(req):
    colours = {"draft": "grey", "submitted": "blue", "changes": "orange", "approved": "turquoise",
               "built": "green", "failed": "red", "rejected": "red"}
    return format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', colours.get(req.status, "grey"),
                       req.get_status_display())


AUDIT_ACTIONS = {"joined": "joined", "invited": "invited a partner user", "profile-changed": "changed the profile",
                 "request-started": "started", "submitted": "sent for approval", "approved": "approved",
                 "changes-asked": "asked for changes to", "rejected": "rejected", "commented": "commented on",
                 "built": "built the files of", "build-failed": "could not build", "downloaded": "downloaded a file of",
                 "rebuild": "asked to build again", "reset-link-sent": "sent a password-reset link",
                 "password-reset": "set a new password with a reset link", "admin-added": "added in the admin",
                 "admin-changed": "changed in the admin", "admin-deleted": "deleted in the admin",
                 "admin-password-set": "set a password in the admin"}
AUDIT_KEYS = {"confirmed_numbers": "phone numbers confirmed", "approved_by": "approved by", "files": "files",
              "copies": "copies", "products": "products", "path": "file", "role": "role", "email": "email",
              "logo": "new logo", "campaign": "campaign", "comment": "comment", "errors": "errors",
              "error": "error", "object": "what", "model": "kind", "object_id": "id", "changes": "changes",
              "link_by": "link sent by"}


@register.filter
def product_name(product: str) -> str:
    from ..printing import product_name as name

    return name(product)


@register.filter
def audit_action(action: str) -> str:
    return AUDIT_ACTIONS.get(action, action.replace("-", " "))


@register.filter
def audit_key(key: str) -> str:
    return AUDIT_KEYS.get(key, key.replace("_", " "))


@register.filter
def plain(value) -> str:
    """A JSON value in words: lists joined with commas, {product: n} as 'n × product'."""
    if isinstance(value, dict):  # copies {product: n}, or admin changes {field: [old, new]}
        return ", ".join(f"{v} × {k}" if isinstance(v, int) and not isinstance(v, bool) else
                         f"{k}: {plain(v[0])} → {plain(v[1])}" if isinstance(v, list) and len(v) == 2 else
                         f"{k}: {plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
