"""Exporters: the cue sheet as Excel, PDF and CSV files for networks and PROs."""
