"""Influence-operation simulator."""
