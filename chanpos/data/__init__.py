"""Datasets in their official on-disk formats: readers (both presets) and generators (mini).

Submodules: :mod:`~chanpos.data.synthetic` (procedural images), :mod:`~chanpos.data.cifar`,
:mod:`~chanpos.data.imagefolder`, :mod:`~chanpos.data.voc`; import them directly.
"""
