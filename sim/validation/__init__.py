"""Validation of model components against references and published results.

Each module holds functions that compute numbers (no printing, no files), so that tests
can assert on small versions of them and a validation report can run the full versions.
"""
