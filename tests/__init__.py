"""Tests for the Immich integration."""
