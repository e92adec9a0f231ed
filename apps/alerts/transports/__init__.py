"""One small plug-in per channel behind one interface (healthchecks' transports): ``send(message, target)``
returns the number of attempts or raises ``TransportError``, whose ``permanent`` says whether trying again could
help."""
