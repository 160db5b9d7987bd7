"""Pattern synthesis: embed short feedback texts and group them into themes.

``embed`` turns texts into L2-normalised vectors (a local MiniLM model, or a tiny hashing
embedder for tests); ``cluster`` groups those vectors without being told how many groups
there are, marking one-offs as outliers.
"""
