"""Pedestrian detectors through mmdet 3 (Table S1): building and training (``mmdet_models``),
the latent split and channel attack (``attack``), the CSP modules (``csp``) and the converter
for Pedestron's mmdet 1.x weights (``convert``).

Import-light on purpose: the submodules import mmdet/mmcv, so import them explicitly
(``chanpos.detect.csp`` registers CSP in mmdet's registry; mmdet configs name it in
``custom_imports``).
"""
