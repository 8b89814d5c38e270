from __future__ import annotations

import uuid
from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm

from pipeline import limits
from pipeline.assets import sniff

from . import printing
from .models import Organisation, User
from .validators import plain_text

LOGO_KINDS = ("svg", "png", "jpg")  # as pipeline.assets.sniff names them


class PlainText:
    """Every text field of the form refuses direction controls and invisible
    characters (the pipeline's check_text); passwords may hold anything."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if (isinstance(field, forms.CharField) and not isinstance(field.widget, forms.PasswordInput)
                    and plain_text not in field.validators):
                field.validators = [*field.validators, plain_text]


class InviteForm(PlainText, forms.Form):
    """A coordinator invites a partner user: a new or an existing organisation."""

    organisation = forms.ModelChoiceField(queryset=Organisation.objects.all(), required=False,
                                          empty_label="A new organisation (give its name below)",
                                          label="Organisation")
    new_name = forms.CharField(label="Name of a new organisation", max_length=100, required=False)
    new_partner_id = forms.SlugField(label="Short name of a new organisation", max_length=40, required=False,
                                     help_text="Lower-case letters, digits and hyphens, for file names, "
                                               "e.g. york-womens-aid")
    email = forms.EmailField(label="Email address of the person to invite")

    def clean(self):
        data = super().clean()
        if not data.get("organisation"):
            if not data.get("new_name"):
                self.add_error("new_name", "Enter the name of the new organisation, or choose one above")
            if not data.get("new_partner_id"):
                self.add_error("new_partner_id", "Enter a short name for the new organisation")
            elif Organisation.objects.filter(partner_id=data["new_partner_id"]).exists():
                self.add_error("new_partner_id", "Another organisation already has this short name")
        email = data.get("email")
        if email and User.objects.filter(username=email.lower()).exists():
            self.add_error("email", "Someone with this email address already has an account")
        return data


class EmailAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The email address or the password is not right. Check both and try again "
                         "(the password must be typed exactly, capitals included).",
        "inactive": "This account is switched off. Ask your campaign coordinator.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].widget.input_type = "email"

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class AcceptInvitationForm(PlainText, SetPasswordForm):
    first_name = forms.CharField(label="Your first name", max_length=150)
    last_name = forms.CharField(label="Your last name", max_length=150)
    field_order = ["first_name", "last_name", "new_password1", "new_password2"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].help_text = "At least 12 characters; not a common password."
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "Type the password again"


class ResetPasswordForm(SetPasswordForm):
    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].help_text = "At least 12 characters; not a common password."
        self.fields["new_password1"].label = "Choose a new password"
        self.fields["new_password2"].label = "Type the new password again"


SVG_UNSAFE = ("DTD", "entities", "contains <", "event handler", "outside the SVG", "@import", "embedded image")
SVG_TOO_BIG = ("over the limit", "elements or")


def logo_refusal(problems: list[dict], kind: str) -> list[str]:
    """A refused logo in the partner's terms, the pipeline's own words kept at the end
    for whoever made the file."""
    detail = "; ".join(dict.fromkeys(p["what"] for p in problems))
    if any(p["check"] == "codes" for p in problems):
        return [("This logo carries a QR code or barcode. A logo may not carry one: the leaflet's only code is "
                 f"the campaign's. Upload the logo without it. (For your designer: {detail}.)")]
    if kind != "svg":
        return [f"{p['what']}. {p['hint']}".strip() for p in problems]
    if any(word in p["what"] for p in problems for word in SVG_UNSAFE):
        said = ("This SVG logo cannot be printed safely: it contains scripts, links to other files or web "
                "addresses, or special declarations, which a logo does not need. Save it again from your "
                "design program as a plain SVG with any pictures embedded (for example 'Optimised SVG' or "
                "'SVG 1.1'), or upload it as a PNG or JPEG at 300 pixels per inch.")
    elif any(word in p["what"] for p in problems for word in SVG_TOO_BIG):
        said = ("This SVG logo is too large or too complex to print safely. Simplify it in your design "
                "program, or upload it as a PNG or JPEG at 300 pixels per inch.")
    else:
        said = ("This file is not a working SVG image: it may be damaged, or another kind of file. Save it "
                "again as SVG, or upload it as a PNG or JPEG at 300 pixels per inch.")
    return [f"{said} (For your designer: {detail}.)"]


WEB_HELP = ("Your organisation's own site, e.g. www.yorkwomensaid.org.uk: the only web address your contact "
            "line may give besides the campaign's")


class ProfileForm(PlainText, forms.ModelForm):
    logo = forms.FileField(label="Logo", required=False,
                           help_text="SVG (best), or PNG or JPEG at 300 pixels per inch of its printed size; "
                                     f"at most {limits.LOGO_BYTES // 1048576} MB.")

    class Meta:
        model = Organisation
        fields = ["name", "contact", "phone", "web"]
        labels = {"name": "Name of the organisation", "contact": "Contact line",
                  "phone": "Phone number", "web": "Web site (optional)"}
        help_texts = {"contact": "Printed under your logo, e.g. 'York Women's Aid, open 9am to 5pm'",
                      "phone": "Only a number the campaign lists, or one a coordinator confirms",
                      "web": WEB_HELP}

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > limits.LOGO_BYTES:  # the pipeline's limit (pipeline/limits.py)
            raise forms.ValidationError(f"The logo is {upload.size / 1048576:.1f} MB: the most is "
                                        f"{limits.LOGO_BYTES // 1048576} MB. Save it smaller, or as SVG.")
        data = upload.read(limits.LOGO_BYTES + 1)
        kind = sniff(data)  # the pipeline's rule (pipeline/assets.py), whatever the file's name says
        if kind not in LOGO_KINDS:
            raise forms.ValidationError("The logo must be an SVG, PNG or JPEG file. This file is none of them.")
        problems = [p for p in printing.check_logo(data, f"logo.{kind}") if p["level"] == "error"]
        if problems:
            raise forms.ValidationError(logo_refusal(problems, kind))
        self.logo_bytes, self.logo_kind = data, kind
        return upload

    def save(self, commit=True):
        org = super().save(commit=False)
        if getattr(self, "logo_bytes", None):
            settings.UPLOADS_DIR.mkdir(parents=True, exist_ok=True)
            name = f"{uuid.uuid4().hex}.{self.logo_kind}"
            (settings.UPLOADS_DIR / name).write_bytes(self.logo_bytes)
            org.logo_file = name
            org.logo_original_name = self.cleaned_data["logo"].name[:200]
        if commit:
            org.save()
        return org


class CampaignChoiceForm(forms.Form):
    campaign = forms.ChoiceField(label="Which campaign?", widget=forms.RadioSelect)

    def __init__(self, *args, offers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [(o.slug, o.name) for o in offers]


product_name = printing.product_name  # as layouts/products.yaml names it


class RequestForm(PlainText, forms.Form):
    printed_name = forms.CharField(label="Your organisation's name, as printed", max_length=100)
    contact = forms.CharField(label="Contact line", max_length=120,
                              help_text="Printed under your logo")
    phone = forms.CharField(label="Phone number", max_length=40, required=False)
    web = forms.CharField(label="Web site (optional)", max_length=100, required=False, help_text=WEB_HELP)
    products = forms.MultipleChoiceField(label="Which products?", widget=forms.CheckboxSelectMultiple)
    delivery_address = forms.CharField(label="Delivery address", max_length=500,
                                       widget=forms.Textarea(attrs={"rows": 4}))
    # A date input shows only ISO dates (2027-01-15): any other format empties it on redisplay.
    needed_by = forms.DateField(label="Needed by",
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                                help_text="Allow at least 10 working days for printing and delivery")
    notes = forms.CharField(label="Notes for the coordinator (optional)", max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, offer=None, **kwargs):
        super().__init__(*args, **kwargs)
        products = offer.products if offer else ()
        self.fields["products"].choices = [(p, product_name(p)) for p in products]
        self.copies_fields = []
        for p in products:
            name = f"copies_{p}"
            self.fields[name] = forms.IntegerField(label=f"Copies of the {product_name(p)}", min_value=1,
                                                   max_value=100_000, required=False)
            self.copies_fields.append((p, name))

    def clean_needed_by(self):
        value = self.cleaned_data["needed_by"]
        if value < date.today():
            raise forms.ValidationError("The date must be in the future")
        if value > date.today() + timedelta(days=730):
            raise forms.ValidationError("The date must be within the next two years")
        return value

    def clean(self):
        data = super().clean()
        for product, name in self.copies_fields:
            if product in data.get("products", []) and not data.get(name):
                self.add_error(name, f"Enter how many copies of the {product_name(product)} you need")
        return data

    def copies(self) -> dict:
        return {p: self.cleaned_data[n] for p, n in self.copies_fields
                if p in self.cleaned_data.get("products", []) and self.cleaned_data.get(n)}


class ReviewForm(PlainText, forms.Form):
    decision = forms.ChoiceField(label="Your decision", widget=forms.RadioSelect, choices=[
        ("approve", "Approve: build the files for print"),
        ("changes", "Ask for changes"),
        ("reject", "Reject"),
    ])
    comment = forms.CharField(label="Comment for the partner", max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text="Needed when you ask for changes or reject")
    numbers = forms.MultipleChoiceField(label="Phone numbers to confirm", required=False,
                                        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers_to_confirm = list(numbers)
        self.fields["numbers"].choices = [(n, f"{n} is right: I have checked it with the partner")
                                          for n in numbers]

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision in ("changes", "reject") and not data.get("comment", "").strip():
            self.add_error("comment", "Say what the partner should change, or why the request is rejected")
        if decision == "approve":
            missing = [n for n in self.numbers_to_confirm if n not in data.get("numbers", [])]
            if missing:
                self.add_error("numbers", "Confirm each phone number before approving: "
                               + ", ".join(missing))
        return data


class CommentForm(PlainText, forms.Form):
    text = forms.CharField(label="Add a comment", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
