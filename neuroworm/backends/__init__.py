"""neuroworm.backends."""

__all__ = []
