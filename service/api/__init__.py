"""HTTP adapters: one blueprint per resource."""
