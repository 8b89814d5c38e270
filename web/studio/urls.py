"""Fixed URLs, so other tools can use the studio:

    /proof/<output path without .pdf>/<page>.png   the current render of a page
    /state/<output path without .pdf>.json         its guides, preflight problems, error
    /events?show=<output>&show=...                 Server-Sent Events: one per re-render
    /pdf/<output path without .pdf>.pdf            the PDF of the current image
    /zoom/<output path without .pdf>/<page>        a close look: the page at its printed size or larger
"""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("changes", views.changes, name="changes"),
    path("events", views.events, name="events"),
    path("proof/<path:key>/<int:page>.png", views.proof_image, name="proof"),
    path("state/<path:key>.json", views.state, name="state"),
    path("pdf/<path:key>.pdf", views.pdf, name="pdf"),
    path("zoom/<path:key>/<int:page>", views.zoom, name="zoom"),
    path("tile/<path:key>/<int:page>.png", views.tile, name="tile"),
    path("look", views.look, name="look"),
    path("approved/<path:key>/<int:page>.png", views.approved_image, name="approved"),
    path("changes/<path:key>/<int:page>.png", views.change_image, name="change"),
]
