"""A small slice of bench/similar_eval.py that guards the default thresholds: copies made by
the transforms re-uploads go through are found, and unrelated pictures never link."""

from __future__ import annotations

from bench.similar_eval import IMAGE_TRANSFORMS, dhakira_links, image_entry, overall, scene

from dhakira.similar.settings import Settings

TRANSFORMS = [
    "jpeg-q15", "thumbnail-128", "brighter", "grayscale", "caption-bar", "logo", "crop-5%",
    "letterbox", "pillarbox", "rotate-2°", "mirror",
]  # fmt: skip


def test_thresholds_find_copies_and_keep_strangers_apart() -> None:
    jobs = []
    for k in range(4):
        im = scene(500 + k)
        jobs.append((k, "original", im, k))
        jobs += [(k, t, im, k * 31 + 7) for t in TRANSFORMS]
    assert set(TRANSFORMS) <= set(IMAGE_TRANSFORMS)
    entries = [image_entry(j) for j in jobs]
    links = dhakira_links(entries, Settings())
    recall, precision = overall(entries, links)
    assert precision == 1.0, "an unrelated picture was linked: the thresholds are too loose"
    assert recall >= 0.9, f"recall {recall:.2f}: the thresholds or variants got worse"
    # and the copies of one picture all end up in one group through their links
    strict = dhakira_links(entries, Settings(image_distance=0, image_distance_loose=0))
    assert overall(entries, strict)[0] < recall  # the thresholds are what finds them
