"""Validation checks, one module each. Each returns pass, warn or fail with evidence."""
