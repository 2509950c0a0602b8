"""The shipped scenarios, as the package data ``sim._scenarios`` (see ``sim/resources.py``).

pyproject.toml maps this folder into the ``sim`` package so that wheels carry the scenario
files; this file lets that mapping work in editable installs (``pip install -e .``) too.
"""
