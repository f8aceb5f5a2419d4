"""neuroworm.experiments."""

__all__ = []
