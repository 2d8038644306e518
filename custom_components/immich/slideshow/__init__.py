"""Photo-frame slideshows: where the next photo comes from, prefetching and skipping.

Nothing here imports Home Assistant's entity classes, so the logic is tested and benchmarked
against the emulator directly; `image.py` wraps it in image entities.
"""
