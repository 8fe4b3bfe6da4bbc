"""Which subject box the crop and the headline band trust: the vision model's or the estimate's.

The rule, in order:

1. No box from the model (vision off, a model that cannot see images, a generated image), or a
   degenerate one: the deterministic estimate (``agents.design.saliency``) decides.
2. The model's box and the estimate *disagree wildly*: they overlap by less than ``AGREE_IOU``
   (10 %) intersection-over-union **and** neither box contains the other's centre. Then the
   model has most likely answered about something that is not in the picture, and the estimate
   decides.
3. Otherwise the model's box is used (it knows which object is "the product" when a picture has
   several), with the model's focal point if that lies inside its box, else the box's centre.

Either way the subject keeps the detectors' focal points (``Subject.focus``: faces, text, the
saliency map), and the placement (``agents.design.placement``) weighs the box as one more
opinion beside them: a box can move a band, never onto a face.
"""

from __future__ import annotations

from pinterest_agent.agents.design.saliency import Box, Subject

__all__ = ["AGREE_IOU", "MIN_BOX_SIDE", "choose_subject", "disagree", "iou"]

AGREE_IOU = 0.1
MIN_BOX_SIDE = 0.02
"""A model box narrower or shorter than this fraction is degenerate and ignored."""


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when either is empty)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _centre(box: Box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def _contains(box: Box, point: tuple[float, float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def disagree(model: Box, estimate: Box) -> bool:
    """True when the two boxes cannot be describing the same subject."""
    return (
        iou(model, estimate) < AGREE_IOU
        and not _contains(model, _centre(estimate))
        and not _contains(estimate, _centre(model))
    )


def choose_subject(
    model_box: Box | None, model_focal: tuple[float, float], estimate: Subject
) -> Subject:
    """The subject the renderer uses (see the module docstring for the rule)."""
    if model_box is None or min(model_box[2] - model_box[0],
                                model_box[3] - model_box[1]) < MIN_BOX_SIDE:
        return estimate
    if disagree(model_box, estimate.box):
        return estimate
    focal = model_focal if _contains(model_box, model_focal) else _centre(model_box)
    return Subject(model_box, focal, "model", estimate.focus)
