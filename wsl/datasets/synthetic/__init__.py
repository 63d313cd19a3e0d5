"""Deterministic generators that write synthetic datasets in the real datasets' formats.

Generators are imported from their modules (``wsl.datasets.synthetic.shapes`` ...) so that importing this
package stays cheap.
"""
