"""The lesson plan ``teaching.md``, as the package data ``sim._docs`` (see ``sim/resources.py``).

pyproject.toml maps this folder into the ``sim`` package so that wheels carry
``teaching.md`` (the only file of this folder that ships); this file lets that mapping
work in editable installs (``pip install -e .``) too.
"""
