"""Pedestrian detectors through mmdet (Table S1): building, training, the latent split, attack."""
