"""neuroworm.brian."""

__all__ = []
