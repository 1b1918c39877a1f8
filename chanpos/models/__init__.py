"""Models, each exposing the latent split of :mod:`chanpos.latent`."""
