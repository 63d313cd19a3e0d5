"""Cross-domain weakly supervised object detection (H²FA R-CNN): ``models/``, ``datasets/``, ``metrics/``."""
