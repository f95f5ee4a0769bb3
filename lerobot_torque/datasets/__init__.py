"""Dataset tools: the effort-layout converter and the writer of simulated demonstrations."""
