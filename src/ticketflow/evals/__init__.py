"""Measure the pipeline on labelled ticket files: metrics, cross-validation, reports."""
