"""Helpers the test tiers share: real services started or checked for the tests."""
