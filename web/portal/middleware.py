class PermissionsPolicyMiddleware:
    """The one security header Django and django-csp do not set: no page of the
    portal needs a camera, a microphone, a location or payment."""

    POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
