"""chanpos: position information encoded channel-wise in CNNs, reproduced."""

__version__ = "0.1.0"
