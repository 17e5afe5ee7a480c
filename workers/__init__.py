"""Background jobs: projector, alert scanner, notifiers, and the periodic schedule."""
