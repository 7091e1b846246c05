"""Near-duplicate images and video across the whole archive.

``signature`` turns an original into perceptual hashes (PDQ per image variant, PDQ per sampled
video frame, a 64-bit pHash as a second opinion); ``index`` holds every stored hash for Hamming
range search (faiss); ``match`` decides, by pure functions, which hits are copies of the same
picture or footage; ``links`` records those decisions in their own revisable table; ``groups``
reads connected components from it; ``derive`` computes signatures for items that have none;
``api`` is what the CLI and the web app call. Method and measured thresholds: docs/similar.md.
"""

from __future__ import annotations

ALGORITHM = "pdq"
VERSION = 3  # bump when what a signature holds changes: old rows stay, new ones are computed
