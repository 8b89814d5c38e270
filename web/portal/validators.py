"""Validators shared by the portal's forms and models (the admin's forms use the models')."""
from django.core.exceptions import ValidationError


def plain_text(value: str) -> None:
    """No direction controls or invisible characters in text typed into the portal."""
    from . import printing

    wrong = printing.text_problems(value or "")
    if wrong:
        raise ValidationError([f"The text {w}" for w in wrong], code="invisible")
