"""The campaign schema and loading it from YAML, with line numbers for every error.

Content is validated completely before anything is rendered: every problem in a
file is collected and reported at once, each naming file, line and field path.
The package, from the bottom up: `fields` (field types), `brand`, `languages` and `model` (the
schemas), `yamlfile` (plain YAML with lines), `errors` (validation in the editor's
words), `rules` (what the text says), `easyread` (the Easy Read text and its pictures), `partners`,
`translations`, `load`.
"""
from .brand import COLOUR_ROLES, Brand, BrandFont, Colour, brand_path
from .errors import FORMS, validate
from .fields import RTL_LANGUAGES, Neutral, Strict, Wrong, described, folded
from .load import load_brand, load_campaign, load_campaigns, load_model
from ..inputs import PHONE_IN_TEXT, on_allow_list  # the one URL and phone predicates, re-exported
from .model import PLACEHOLDERS, QR, Campaign, Copies, District, Labels, LoadedCampaign, Partner, Picture, Service, Slug
from .partners import UNCONFIRMED, check_partner, partner_hosts, partners_folder
from .rules import discreet_phrases, known_hosts, known_number_said, known_numbers, not_ours
from .translations import FIXED, OPTIONAL, digit_groups, load_translation, translation_path
from .yamlfile import dotted_path, every_string, read_yaml

__all__ = [
    "COLOUR_ROLES", "Brand", "BrandFont", "Colour", "brand_path", "FORMS", "validate", "RTL_LANGUAGES", "Neutral",
    "Strict", "Wrong", "described", "folded", "load_brand", "load_campaign", "load_campaigns", "load_model",
    "PLACEHOLDERS", "QR", "Campaign", "Copies", "District", "Labels", "LoadedCampaign", "Partner", "Picture", "Service", "Slug",
    "on_allow_list", "UNCONFIRMED", "check_partner", "partner_hosts", "partners_folder", "PHONE_IN_TEXT", "discreet_phrases",
    "known_hosts", "known_number_said", "known_numbers", "not_ours", "FIXED", "OPTIONAL", "digit_groups", "load_translation", "translation_path", "read_yaml",
    "dotted_path", "every_string",
]
