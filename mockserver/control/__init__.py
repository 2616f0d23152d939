"""The control plane under ``/__mock__/``: what tests and developers use to drive the mock."""
