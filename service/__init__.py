"""Reform Tracker: an event-sourced, hash-chained tracker for reform programmes."""
