"""Support modules of the TF1 tutorials."""
