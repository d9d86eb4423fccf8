"""One module per peer tool; each runs as `python -m tools.<name>_ --work WORK` in its own process."""
