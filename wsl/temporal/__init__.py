"""Weakly supervised temporal action localization: D2-Net (ICCV 2021) and its evaluators.

Subpackages: ``models`` (two-stream network, D2Net, L_Dis / pDMI / baseline losses), ``metrics``
(legacy and ActivityNet detection mAP), ``datasets`` (W-TALC feature format, THUMOS14,
ActivityNet1.2); ``postprocess`` holds the inference post-processing.
"""
