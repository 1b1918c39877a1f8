"""Pedestrian detectors through mmdet 3: the CSP modules and a converter for Pedestron weights.

Import-light on purpose: the submodules import mmdet/mmcv, so import them explicitly
(``chanpos.detect.csp`` registers CSP in mmdet's registry; mmdet configs name it in
``custom_imports``).
"""
