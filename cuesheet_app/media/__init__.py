"""Media files: probing, audio decoding (PyAV), waveform peaks."""
