"""Tests of the crash lab and its pytest fixture (tests.lab.fixture)."""
