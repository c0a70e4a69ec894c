"""The booking domain: models, rules and use cases. Pure Python: no Flask below this package."""
