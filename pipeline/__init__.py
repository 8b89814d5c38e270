"""Campaign print pipeline: campaign YAML -> print-ready PDF posters and leaflets."""

__version__ = "0.1.0"
